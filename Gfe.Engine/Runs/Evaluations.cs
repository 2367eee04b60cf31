namespace Gfe.Engine.Runs;

/// <summary>Names of the test evaluations, as the columns of the paper's Table 1.</summary>
public static class Evaluations
{
    /// <summary>The GFE decoder, test images encoded with AMD.</summary>
    public const string GfeAmd = "GFE-amd";

    /// <summary>The AE, test images encoded by its encoder.</summary>
    public const string Ae = "AE";

    /// <summary>The AE's decoder alone, test images encoded with AMD.</summary>
    public const string Mixed = "Mixed";

    /// <summary>The GFE decoder trained and tested with the fixed-grid RK4 flow.</summary>
    public const string GfeRk4 = "GFE-rk4";

    /// <summary>The GFE decoder trained and tested with the second-order Nesterov flow.</summary>
    public const string GfeNesterov = "GFE-2nd";

    /// <summary>A simulated run's stand-in value.</summary>
    public const string Simulate = "simulate";
}
