namespace Gfe.Grains;

/// <summary>
/// Grain state that carries the token of the write that stored it. A write whose answer was lost (the storage went
/// away mid-call) may still have been stored; if its retry then meets a version conflict, reading the stored token
/// tells "our own write landed" from "another activation wrote since" (<see cref="StateWriter{T}"/>).
/// </summary>
public interface IWriteToken
{
    string? WriteToken { get; set; }
}
