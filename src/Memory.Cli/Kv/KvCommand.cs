using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Memory.Cli.Hosting;
using Memory.Inference.Chat;
using Memory.Inference.Decoding;
using Memory.Inference.Serving;
using Memory.Inference.Tokenization;
using Memory.KvCache;
using Spectre.Console;

namespace Memory.Cli.Kv;

/// <summary>
/// <c>memory kv stats|pin|unpin|delete</c>: the server's KV cache administered directly (its tiers and metadata, as
/// configured by MEMORY_KvCache__* / MEMORY_Storage__* or --set), with or without a running server.
/// </summary>
internal static class KvCommand
{
    private static readonly JsonSerializerOptions MessageFileJson = new() { PropertyNameCaseInsensitive = true };

    public static Command Create()
    {
        var command = new Command("kv", "Inspect and manage the KV cache: stats, pin, unpin, delete.");
        command.Subcommands.Add(Stats());
        command.Subcommands.Add(Pin("pin", pinned: true));
        command.Subcommands.Add(Pin("unpin", pinned: false));
        command.Subcommands.Add(Delete());
        return command;
    }

    private static Option<string[]> SetOption() => new("--set") { Description = "Configuration override Section:Key=value (repeatable), e.g. KvCache:DiskPath=/var/lib/memory/kv." };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print the result as one JSON object on the last line." };

    private static Command Stats()
    {
        var json = JsonOption();
        var set = SetOption();
        var command = new Command("stats", "Blocks, bytes and hit rate per tier; metadata totals.") { json, set };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(async ct =>
        {
            await using var kv = await KvServices.StartAsync(SettingOverrides.Parse(parse.GetValue(set)), ct);
            var stats = await kv.Store.StatsAsync(ct);
            if (!parse.GetValue(json))
            {
                var table = new Table().AddColumns("tier", "status", "level", "blocks", "bytes", "budget", "hit rate");
                foreach (var tier in stats.Tiers)
                {
                    table.AddRow(tier.Tier, tier.Status, tier.Level, N(tier.Blocks), N(tier.Bytes), N(tier.BudgetBytes), tier.HitRate.ToString("P1", CultureInfo.InvariantCulture));
                }

                AnsiConsole.Write(table);
                AnsiConsole.MarkupLineInterpolated($"metadata: {N(stats.Metadata.Blocks)} blocks ({N(stats.Metadata.PinnedBlocks)} pinned), {N(stats.Metadata.StoredBytes)} bytes stored for {N(stats.Metadata.RawBytes)} raw");
            }

            await JsonOutput.WriteLastLineAsync(stats);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Pin(string name, bool pinned)
    {
        var json = JsonOption();
        var set = SetOption();
        var model = new Option<string>("--model") { Description = "The model directory whose blocks to pin.", Required = true };
        var text = new Option<string?>("--text") { Description = "The prefix as plain text." };
        var messages = new Option<string?>("--messages") { Description = "A JSON file of chat messages [{role, content}], rendered with the model's chat template." };
        var tokens = new Option<string?>("--tokens") { Description = "The prefix as comma-separated token ids." };
        var tenant = new Option<string>("--tenant") { Description = "Whose pin this is.", DefaultValueFactory = _ => KvBlockOrigin.DefaultTenant };
        var command = new Command(name, pinned ? "Pin a prefix's blocks so no tier evicts them." : "Release a tenant's pin on a prefix.")
        {
            model, text, messages, tokens, tenant, json, set,
        };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(async ct =>
        {
            string directory = parse.GetValue(model)!;
            int[] prefix = Prefix(directory, parse.GetValue(text), parse.GetValue(messages), parse.GetValue(tokens));
            await using var kv = await KvServices.StartAsync(SettingOverrides.Parse(parse.GetValue(set)), ct);
            var identity = ModelIdentity.Read(directory);
            string who = parse.GetValue(tenant)!;
            var result = await kv.Store.PinAsync(who, kv.Prefixes.ModelFor(identity, who), prefix, pinned, ct);
            if (!parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync($"{(pinned ? "pinned" : "unpinned")} {result.Blocks} blocks ({result.Blocks * kv.Store.BlockSize} of {prefix.Length} tokens; {result.StoredBlocks} stored now) for tenant {who}");
            }

            await JsonOutput.WriteLastLineAsync(new { pinned, prefix_tokens = prefix.Length, blocks = result.Blocks, stored_blocks = result.StoredBlocks, keys = result.Keys });
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Delete()
    {
        var json = JsonOption();
        var set = SetOption();
        var model = new Option<string?>("--model") { Description = "A model directory, or a kv model id (16 hex digits)." };
        var conversation = new Option<string?>("--conversation") { Description = "The conversation id the blocks were computed for." };
        var tenant = new Option<string?>("--tenant") { Description = "Only blocks this tenant produced (default: every tenant's)." };
        var command = new Command("delete", "Delete blocks by model and/or conversation from every tier.") { model, conversation, tenant, json, set };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(async ct =>
        {
            string? modelArg = parse.GetValue(model);
            string? conversationArg = parse.GetValue(conversation);
            if (string.IsNullOrWhiteSpace(modelArg) && string.IsNullOrWhiteSpace(conversationArg))
            {
                throw new CliFailureException("give --model, --conversation, or both");
            }

            await using var kv = await KvServices.StartAsync(SettingOverrides.Parse(parse.GetValue(set)), ct);
            string? who = parse.GetValue(tenant);
            string? modelId = modelArg switch
            {
                null or "" => null,
                var id when id.Length == 16 && id.All(char.IsAsciiHexDigitLower) => id,
                var dir when Directory.Exists(dir) => kv.Prefixes.ModelFor(ModelIdentity.Read(dir), who ?? KvBlockOrigin.DefaultTenant).Id,
                var other => throw new CliFailureException($"--model '{other}' is neither a model directory nor a kv model id (16 hex digits)"),
            };
            int deleted = await kv.Store.DeleteAsync(who, modelId, conversationArg, ct);
            if (!parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync($"deleted {deleted} blocks");
            }

            await JsonOutput.WriteLastLineAsync(new { deleted });
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static int[] Prefix(string directory, string? text, string? messagesFile, string? tokens)
    {
        int given = (text is null ? 0 : 1) + (messagesFile is null ? 0 : 1) + (tokens is null ? 0 : 1);
        if (given != 1)
        {
            throw new CliFailureException("give exactly one of --text, --messages or --tokens");
        }

        if (tokens is not null)
        {
            return tokens.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int id) ? id : throw new CliFailureException($"--tokens: '{t}' is not a token id"))
                .ToArray();
        }

        var tokenizer = HfTokenizer.Load(Path.Combine(directory, "tokenizer.json"));
        if (text is not null)
        {
            return tokenizer.Encode(text, addBos: true).ToArray();
        }

        var turns = JsonSerializer.Deserialize<List<ChatTurnFile>>(File.ReadAllText(messagesFile!), MessageFileJson)
            ?? throw new CliFailureException($"--messages: {messagesFile} holds no messages");
        var template = ChatTemplate.FromTokenizerConfig(Path.Combine(directory, "tokenizer_config.json"))
            ?? throw new CliFailureException($"{directory} has no chat template; pin with --text or --tokens");
        return tokenizer.Encode(template.Render(turns.Select(t => new ChatTurn(t.Role ?? "user", t.Content ?? "")).ToList(), addGenerationPrompt: false)).ToArray();
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private sealed record ChatTurnFile(string? Role, string? Content);
}
