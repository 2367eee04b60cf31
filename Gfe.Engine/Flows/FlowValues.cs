using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// The numbers the fixed-grid flows are written in (<see cref="Rk4"/>, <see cref="FlowRule{T}"/>): sums, differences
/// and multiples, so one formula serves a whole tensor (<see cref="TorchValue"/>, the torch flows) and one float of a
/// host buffer (<see cref="HostValue"/>, the native kernel's flows). Each side keeps its own rounding: torch rounds a
/// number operand to the tensor's type and the host rounds it to float, so a float32 flow does the same IEEE
/// operations in the same order on both.
/// </summary>
public interface IFlowValue<T> where T : struct, IFlowValue<T>
{
    static abstract T operator +(T a, T b);
    static abstract T operator -(T a, T b);
    static abstract T operator *(T a, double c);
    static abstract T operator /(T a, double c);

    /// <summary>A zero of <paramref name="like"/>'s shape (the Nesterov flow starts at rest).</summary>
    static abstract T ZeroLike(T like);

    /// <summary>What holds one step's temporaries until the step ends: a torch dispose scope; the host has none (null).</summary>
    static abstract DisposeScope? OpenScope();

    /// <summary>Lets the <paramref name="values"/> made in <paramref name="scope"/> outlive it (the new state and slope).</summary>
    static abstract void Keep(DisposeScope? scope, ReadOnlySpan<T> values);
}

/// <summary>A whole tensor as a flow value, with <see cref="ScalarSafe"/> arithmetic (the operators' temporary Scalars
/// can be freed mid-call), so the result is bit for bit the operator form's.</summary>
public readonly struct TorchValue(Tensor tensor) : IFlowValue<TorchValue>
{
    public Tensor Tensor => tensor;

    public static TorchValue operator +(TorchValue a, TorchValue b) => new(a.Tensor.Plus(b.Tensor));
    public static TorchValue operator -(TorchValue a, TorchValue b) => new(a.Tensor.Minus(b.Tensor));
    public static TorchValue operator *(TorchValue a, double c) => new(a.Tensor.Times(c));
    public static TorchValue operator /(TorchValue a, double c) => new(a.Tensor.Over(c));
    public static TorchValue ZeroLike(TorchValue like) => new(torch.zeros_like(like.Tensor));
    public static DisposeScope? OpenScope() => torch.NewDisposeScope();

    public static void Keep(DisposeScope? scope, ReadOnlySpan<TorchValue> values)
    {
        // Move only what this scope made, once: the Nesterov slope's first half is the velocity m itself, which may
        // already have moved or come from outside the step.
        foreach (var value in values)
            if (scope!.Contains(value.Tensor)) scope.MoveToOuter(value.Tensor);
    }
}

/// <summary>One float as a flow value: a number operand is rounded to float first, as torch rounds it for a float32
/// tensor. The same size as a float, so a buffer of them is a float buffer (<see cref="HostFlow"/>).</summary>
public readonly struct HostValue(float value) : IFlowValue<HostValue>
{
    readonly float value = value;

    public float Value => value;

    public static HostValue operator +(HostValue a, HostValue b) => new(a.value + b.value);
    public static HostValue operator -(HostValue a, HostValue b) => new(a.value - b.value);
    public static HostValue operator *(HostValue a, double c) => new(a.value * (float)c);
    public static HostValue operator /(HostValue a, double c) => new(a.value / (float)c);
    public static HostValue ZeroLike(HostValue like) => default;
    public static DisposeScope? OpenScope() => null;
    public static void Keep(DisposeScope? scope, ReadOnlySpan<HostValue> values) { }
}
