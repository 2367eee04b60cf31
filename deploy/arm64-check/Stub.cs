namespace Gfe.Engine.Losses;

// The one constant the kernel's maths takes from the engine's loss: Gfe.Engine/Losses/ReconstructionLoss.cs, which
// needs TorchSharp, cannot be compiled in; arm64-check.sh refuses to run if the two values differ.
public static class ReconstructionLoss
{
    public const double Epsilon = 1e-8;
}
