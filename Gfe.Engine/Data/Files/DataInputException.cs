namespace Gfe.Engine.Data.Files;

/// <summary>
/// Data a user gave that cannot be used as it is: a ragged CSV, a NaN, an unsupported dtype, a declaration that does
/// not fit its files. The message names the file and, where there is one, the line, column or sample. Commands exit
/// with code 2 (invalid input) on it; a file that is missing or cannot be read is a <see cref="DataException"/>
/// instead (code 3, data unavailable).
/// </summary>
public sealed class DataInputException(string message, Exception? inner = null) : Exception(message, inner);
