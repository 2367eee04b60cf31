using Gfe.Engine.Runs;
using YamlDotNet.RepresentationModel;

namespace Gfe.Client.Sweeps;

/// <summary>One setting as a sweep file gives it: the parameter, its text, and the YAML node it came from (for the
/// line number of any complaint about it).</summary>
public sealed record SweepSetting(RunParameter Parameter, string Value, YamlNode Node);
