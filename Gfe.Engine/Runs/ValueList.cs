using System.Collections;
using System.Globalization;

namespace Gfe.Engine.Runs;

/// <summary>
/// A read-only list that compares by its items, so that a record holding one (a <see cref="RunConfig"/> with its
/// hidden widths) is a value: two configs with the same widths are equal. Prints as [150, 300, 600].
/// </summary>
public sealed class ValueList<T>(IEnumerable<T> items) : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    readonly T[] items = items.ToArray();

    public T this[int index] => items[index];

    public int Count => items.Length;

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => items.GetEnumerator();

    public bool Equals(ValueList<T>? other) => other is not null && items.SequenceEqual(other.items);

    public override bool Equals(object? obj) => obj is ValueList<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in items) hash.Add(item);
        return hash.ToHashCode();
    }

    public override string ToString() =>
        "[" + string.Join(", ", items.Select(i => Convert.ToString(i, CultureInfo.InvariantCulture))) + "]";
}
