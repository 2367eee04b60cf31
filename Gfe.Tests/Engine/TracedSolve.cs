using Gfe.Engine.Solvers;

namespace Gfe.Tests.Engine;

/// <summary>
/// An AMD solve with every trial it made, l_i computed independently at z0, and l_i and ||grad l_i||^2 computed
/// independently at the returned z*.
/// </summary>
public sealed record TracedSolve(
    AmdSolution Solution,
    List<AmdTrial> Trials,
    float[] LossAtStart,
    float[] LossAtLatent,
    float[] GradientNormsSquaredAtLatent);
