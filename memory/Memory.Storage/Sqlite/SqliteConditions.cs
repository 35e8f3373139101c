using System.Text;
using System.Text.Json;
using Memory.Conversations.Model;
using Microsoft.Data.Sqlite;

namespace Memory.Storage.Sqlite;

/// <summary>
/// WHERE clauses of the embedded store. Metadata filters are decided in C# by <see cref="MetadataFilter.Matches"/>
/// (SQLite has no JSON deep equality); string conditions are also pushed into SQL as a pre-filter that can only
/// drop rows the exact check would drop too.
/// </summary>
internal static class SqliteConditions
{
    public static string TenantAndScope(SqliteCommand command, string tenant, MemoryScope scope)
    {
        var sql = new StringBuilder("m.tenant = $tenant");
        command.Parameters.AddWithValue("$tenant", tenant);
        if (scope.UserId is not null)
        {
            sql.Append(" AND m.user_id = $user_id");
            command.Parameters.AddWithValue("$user_id", scope.UserId);
        }

        if (scope.AgentId is not null)
        {
            sql.Append(" AND m.agent_id = $agent_id");
            command.Parameters.AddWithValue("$agent_id", scope.AgentId);
        }

        if (scope.RunId is not null)
        {
            sql.Append(" AND m.run_id = $run_id");
            command.Parameters.AddWithValue("$run_id", scope.RunId);
        }

        return sql.ToString();
    }

    public static string MetadataPrefilter(SqliteCommand command, MetadataFilter filter)
    {
        var sql = new StringBuilder();
        var index = 0;
        foreach (var (key, expected) in filter.Conditions)
        {
            if (key.Contains('"', StringComparison.Ordinal) || key.Contains('\\', StringComparison.Ordinal))
            {
                continue;
            }

            string[] strings;
            if (expected.ValueKind == JsonValueKind.String)
            {
                strings = [expected.GetString()!];
            }
            else if (expected.ValueKind == JsonValueKind.Array && expected.EnumerateArray().All(o => o.ValueKind == JsonValueKind.String))
            {
                strings = expected.EnumerateArray().Select(o => o.GetString()!).ToArray();
            }
            else
            {
                continue;
            }

            var path = $"$mp{index}";
            command.Parameters.AddWithValue(path, $"$.\"{key}\"");
            if (strings.Length == 0)
            {
                sql.Append(" AND 0");
            }
            else
            {
                var names = new List<string>();
                for (var i = 0; i < strings.Length; i++)
                {
                    var name = $"$mv{index}_{i}";
                    command.Parameters.AddWithValue(name, strings[i]);
                    names.Add(name);
                }

                sql.Append($" AND json_extract(m.metadata, {path}) IN ({string.Join(", ", names)})");
            }

            index++;
        }

        return sql.ToString();
    }
}
