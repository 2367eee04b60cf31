using Orleans.Runtime;

namespace Gfe.Grains;

/// <summary>The silo side of a run grain: a <see cref="SlotPuller"/> that leased the run asks the grain to train on
/// the puller's silo, with the slot it reserved there.</summary>
public interface IRunExecution : IGrainWithStringKey
{
    /// <summary>Trains the run here if this activation is on <paramref name="puller"/> and the run still wants
    /// training; returns at once, the training goes on in the background.</summary>
    Task<ExecutionAnswer> Execute(SiloAddress puller);
}
