namespace Gfe.Engine.Benchmarks;

/// <summary>
/// Two training runs at once in one process against one alone: training images per second of each, their ratio
/// (2 = perfect on two free cores), and the ratio of images per CPU-second (1 = the runs do not slow each other down).
/// </summary>
public sealed record SideBySideRate(double Alone, double Pair, double Ratio, double CpuEfficiency);
