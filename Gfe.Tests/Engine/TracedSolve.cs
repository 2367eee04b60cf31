using Gfe.Engine.Solvers;

namespace Gfe.Tests.Engine;

/// <summary>An AMD solve with every trial it made, and l_i and ||grad l_i||^2 recomputed at the returned z*.</summary>
public sealed record TracedSolve(AmdSolution Solution, List<AmdTrial> Trials, float[] LossAtLatent, float[] GradientNormsSquaredAtLatent);
