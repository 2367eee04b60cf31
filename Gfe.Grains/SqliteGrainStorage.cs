using Microsoft.Data.Sqlite;
using Orleans.Runtime;
using Orleans.Storage;

namespace Gfe.Grains;

/// <summary>
/// Orleans grain storage in one SQLite file, for run records that must outlive the process without a server: local
/// mode keeps them in its results folder, so that running a sweep again reuses its finished runs and resumes the
/// unfinished ones from their checkpoints, even after the process was killed. One row per grain state, with an ETag
/// checked on every write, as the Redis provider does. Each write is its own transaction in write-ahead-log mode:
/// a committed record survives a killed process (a power cut may lose the last ones, which then resume from their
/// checkpoints). States are stored with the silo's grain storage serializer, like the Redis provider's.
/// <para>One connection, used by one call at a time: SQLite writes one transaction at a time anyway, and the calls are
/// small. They run on the thread pool, never on a grain's scheduler.</para>
/// </summary>
public sealed class SqliteGrainStorage : IGrainStorage, IDisposable
{
    readonly SqliteConnection connection;
    readonly IGrainStorageSerializer serializer;
    readonly Lock gate = new();

    public SqliteGrainStorage(string path, IGrainStorageSerializer serializer)
    {
        this.serializer = serializer;
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // Another gfe on the same folder (the same sweep run twice at once) waits rather than fails.
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        Execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA busy_timeout = 30000;
            CREATE TABLE IF NOT EXISTS grain_state (
                grain_id   TEXT NOT NULL,
                state_name TEXT NOT NULL,
                etag       TEXT NOT NULL,
                data       BLOB NOT NULL,
                written    TEXT NOT NULL,
                PRIMARY KEY (grain_id, state_name)
            );
            """);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Task.Run(() =>
    {
        lock (gate)
        {
            using var command = Command("SELECT etag, data FROM grain_state WHERE grain_id = $id AND state_name = $name", stateName, grainId);
            using var reader = command.ExecuteReader();
            if (reader.Read())
            {
                grainState.State = serializer.Deserialize<T>(new BinaryData(reader.GetFieldValue<byte[]>(1)));
                grainState.ETag = reader.GetString(0);
                grainState.RecordExists = true;
            }
            else
            {
                grainState.ETag = null;
                grainState.RecordExists = false;
            }
        }
    });

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Task.Run(() =>
    {
        var data = serializer.Serialize(grainState.State).ToArray();
        var etag = Guid.NewGuid().ToString("N");
        lock (gate)
        {
            // Insert only where there is no row yet, update only the row this activation read: otherwise someone
            // else wrote since, and the write is refused as the Redis provider refuses it.
            using var command = grainState.ETag is null
                ? Command("INSERT INTO grain_state (grain_id, state_name, etag, data, written) VALUES ($id, $name, $etag, $data, $written) ON CONFLICT DO NOTHING", stateName, grainId)
                : Command("UPDATE grain_state SET etag = $etag, data = $data, written = $written WHERE grain_id = $id AND state_name = $name AND etag = $old", stateName, grainId);
            command.Parameters.AddWithValue("$etag", etag);
            command.Parameters.AddWithValue("$data", data);
            command.Parameters.AddWithValue("$written", DateTime.UtcNow.ToString("O"));
            if (grainState.ETag is { } old) command.Parameters.AddWithValue("$old", old);
            if (command.ExecuteNonQuery() == 0)
                throw new InconsistentStateException($"Version conflict writing {stateName} of {grainId} in {Path}: it was written elsewhere since it was read",
                    storedEtag: "unknown", currentEtag: grainState.ETag ?? "none");
        }
        grainState.ETag = etag;
        grainState.RecordExists = true;
    });

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Task.Run(() =>
    {
        lock (gate)
        {
            using var command = Command("DELETE FROM grain_state WHERE grain_id = $id AND state_name = $name AND etag = $old", stateName, grainId);
            command.Parameters.AddWithValue("$old", grainState.ETag ?? "");
            if (command.ExecuteNonQuery() == 0 && grainState.ETag is not null)
                throw new InconsistentStateException($"Version conflict clearing {stateName} of {grainId} in {Path}",
                    storedEtag: "unknown", currentEtag: grainState.ETag);
        }
        grainState.ETag = null;
        grainState.RecordExists = false;
    });

    SqliteCommand Command(string sql, string stateName, GrainId grainId)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", grainId.ToString());
        command.Parameters.AddWithValue("$name", stateName);
        return command;
    }

    void Execute(string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        lock (gate) connection.Dispose();
    }
}
