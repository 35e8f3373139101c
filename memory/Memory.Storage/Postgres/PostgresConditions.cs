using System.Text;
using Memory.Conversations.Model;
using Npgsql;
using NpgsqlTypes;

namespace Memory.Storage.Postgres;

/// <summary>
/// WHERE clauses for tenant, scope and metadata, with every value bound as a parameter. Only the ids a scope
/// names become conditions (no "@x IS NULL OR" patterns), so the planner sees which index fits.
/// </summary>
internal static class PostgresConditions
{
    public static string TenantAndScope(NpgsqlParameterCollection parameters, string tenant, MemoryScope scope)
    {
        var sql = new StringBuilder("tenant = @tenant");
        parameters.AddWithValue("tenant", NpgsqlDbType.Text, tenant);
        if (scope.UserId is not null)
        {
            sql.Append(" AND user_id = @user_id");
            parameters.AddWithValue("user_id", NpgsqlDbType.Text, scope.UserId);
        }

        if (scope.AgentId is not null)
        {
            sql.Append(" AND agent_id = @agent_id");
            parameters.AddWithValue("agent_id", NpgsqlDbType.Text, scope.AgentId);
        }

        if (scope.RunId is not null)
        {
            sql.Append(" AND run_id = @run_id");
            parameters.AddWithValue("run_id", NpgsqlDbType.Text, scope.RunId);
        }

        return sql.ToString();
    }

    /// <summary>
    /// jsonb equality is deep equality (key order and number spelling aside), the same rule as
    /// <see cref="MetadataFilter.Matches"/>; a missing key yields NULL, which never matches.
    /// </summary>
    public static string Metadata(NpgsqlParameterCollection parameters, MetadataFilter filter)
    {
        if (filter.IsEmpty)
        {
            return string.Empty;
        }

        var sql = new StringBuilder();
        var index = 0;
        foreach (var (key, expected) in filter.Conditions)
        {
            var keyName = $"mk{index}";
            var valueName = $"mv{index}";
            parameters.AddWithValue(keyName, NpgsqlDbType.Text, key);
            if (expected.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                var options = expected.EnumerateArray().Select(option => option.GetRawText()).ToArray();
                parameters.AddWithValue(valueName, NpgsqlDbType.Array | NpgsqlDbType.Jsonb, options);
                sql.Append($" AND (metadata -> @{keyName}) = ANY(@{valueName})");
            }
            else
            {
                parameters.AddWithValue(valueName, NpgsqlDbType.Jsonb, expected.GetRawText());
                sql.Append($" AND (metadata -> @{keyName}) = @{valueName}");
            }

            index++;
        }

        return sql.ToString();
    }
}
