using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Gfe.Client.Commands;

/// <summary>
/// Every numeric option of <c>gfe</c> is made here, so that each one reads its value the same way: invariant
/// culture, a range checked at parse time, and a one-line message naming the option for text that is not a number
/// ("abc"), a fraction where a whole number is wanted ("1.5") or a number out of range ("99999999999"), which exits
/// with <see cref="ExitCodes.InvalidInput"/> before anything runs.
/// </summary>
public static class NumberOptions
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>], <paramref name="fallback"/> when
    /// the option is not given.</summary>
    public static Option<int> Whole(string name, string description, int min, int max, int fallback, string helpName = "N") =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            DefaultValueFactory = _ => fallback,
            CustomParser = result => ParseWhole(result, name, min, max) ?? fallback,
        };

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>], or null when not given.</summary>
    public static Option<int?> OptionalWhole(string name, string description, int min, int max, string helpName = "N") =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result => ParseWhole(result, name, min, max),
        };

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>], or null when not given; when
    /// <paramref name="aboveMin"/> is set the minimum itself is refused (e.g. "more than 0").</summary>
    public static Option<double?> OptionalReal(string name, string description, double min, double max, bool aboveMin = false, string helpName = "X") =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result => ParseReal(result, name, min, max, aboveMin),
        };

    /// <summary>As <see cref="OptionalReal"/> with a value when the option is not given.</summary>
    public static Option<double> Real(string name, string description, double min, double max, double fallback, bool aboveMin = false, string helpName = "X") =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            DefaultValueFactory = _ => fallback,
            CustomParser = result => ParseReal(result, name, min, max, aboveMin) ?? fallback,
        };

    /// <summary>A comma-separated list of whole numbers, each in range; null when not given.</summary>
    public static Option<IReadOnlyList<int>?> WholeList(string name, string description, int min, int max, string helpName = "N,N,...") =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result =>
            {
                var text = Token(result);
                var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (parts.Length == 0)
                {
                    result.AddError($"{name} needs at least one whole number, not '{text}'");
                    return null;
                }
                var values = new List<int>();
                foreach (var part in parts)
                {
                    if (Whole(part, name, min, max) is { } problem)
                    {
                        result.AddError(problem);
                        return null;
                    }
                    values.Add(int.Parse(part, NumberStyles.Integer, Invariant));
                }
                return values;
            },
        };

    static int? ParseWhole(ArgumentResult result, string name, int min, int max)
    {
        var text = Token(result);
        if (Whole(text, name, min, max) is { } problem)
        {
            result.AddError(problem);
            return null;
        }
        return int.Parse(text, NumberStyles.Integer, Invariant);
    }

    /// <summary>What is wrong with <paramref name="text"/> as a whole number in range, or null.</summary>
    static string? Whole(string text, string name, int min, int max)
    {
        var range = max == int.MaxValue ? $"at least {min}" : $"{min} to {max}";
        // long first, so that 99999999999 is "out of range" rather than "not a number".
        if (!long.TryParse(text, NumberStyles.Integer, Invariant, out var n))
            return $"{name} must be a whole number {range}, not '{text}'";
        return n < min || n > max ? $"{name} must be {range}, not {text}" : null;
    }

    static double? ParseReal(ArgumentResult result, string name, double min, double max, bool aboveMin)
    {
        var text = Token(result);
        var range = $"{(aboveMin ? "more than" : "at least")} {min.ToString(Invariant)}" +
                    (double.IsPositiveInfinity(max) ? "" : $" and at most {max.ToString(Invariant)}");
        if (!double.TryParse(text, NumberStyles.Float, Invariant, out var x) || !double.IsFinite(x))
        {
            result.AddError($"{name} must be a number {range}, not '{text}'");
            return null;
        }
        if (x < min || (aboveMin && x <= min) || x > max)
        {
            result.AddError($"{name} must be {range}, not {text}");
            return null;
        }
        return x;
    }

    static string Token(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
}
