using Xunit;

namespace Gfe.Tests.Data;

/// <summary>A fact that needs a package registry (npm, Debian). It is reported as skipped, not passed, unless
/// GFE_NETWORK_TESTS=1.</summary>
public sealed class NetworkFactAttribute : FactAttribute
{
    public const string Variable = "GFE_NETWORK_TESTS";

    public NetworkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"needs a package registry; set {Variable}=1 to run";
    }
}
