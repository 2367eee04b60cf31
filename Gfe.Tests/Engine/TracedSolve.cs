using Gfe.Engine.Solvers;

namespace Gfe.Tests.Engine;

/// <summary>An AMD solve with every trial it made and the per-image loss recomputed at the returned z*.</summary>
public sealed record TracedSolve(AmdSolution Solution, List<AmdTrial> Trials, float[] LossAtLatent);
