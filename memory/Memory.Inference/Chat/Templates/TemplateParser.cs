using System.Runtime.CompilerServices;

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Parses a template into statement and expression nodes following jinja2 3.1's grammar (its parser's precedence, tuple
/// and assignment-target rules, and its error messages where they help). Tags are tokenized one at a time; a statement
/// never spans tags.
/// </summary>
internal sealed partial class TemplateParser
{
    /// <summary>How deeply statements and expressions may nest: deep enough for any real template, shallow enough that
    /// neither parsing nor rendering can exhaust the stack.</summary>
    public const int MaxNesting = 200;

    private static readonly HashSet<string> UnsupportedTags = new(StringComparer.Ordinal)
    {
        "extends", "include", "import", "from", "autoescape",
    };

    private readonly string _source;
    private readonly List<TemplateSegment> _segments;
    private readonly List<string> _tagStack = [];
    private readonly List<string[]> _endTagStack = [];
    private readonly List<HashSet<string>> _referencedNames = [];
    private readonly List<UnknownName> _unknownNames = [];
    private readonly HashSet<string> _blockNames = new(StringComparer.Ordinal);
    private int _next;
    private int _nesting;
    private int _loopDepth;
    private bool _soft;
    private TokenStream _tokens = null!;

    private TemplateParser(string source)
    {
        _source = source;
        _segments = TemplateSegmenter.Split(source);
    }

    /// <summary>
    /// Parses <paramref name="source"/> after normalising newlines and dropping one trailing newline, as jinja2 does
    /// (<c>keep_trailing_newline=False</c>).
    /// </summary>
    public static TemplateDocument Parse(string source)
    {
        string normalized = NormalizeNewlines(source);
        try
        {
            var parser = new TemplateParser(normalized);
            var body = parser.ParseBody([], out _);
            // jinja2 checks filter and test names when it compiles, after the whole template parsed; inside if-blocks and
            // conditional expressions it leaves the check to run time.
            foreach (var unknown in parser._unknownNames.Where(u => !u.Soft).OrderBy(u => u.Position).Take(1))
            {
                throw SyntaxError(normalized, unknown.Position, $"No {unknown.Kind} named {PyFormat.Repr(unknown.Name)}.");
            }

            return new TemplateDocument(normalized, body);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new ChatTemplateException("chat template syntax error: the template nests too deeply to parse");
        }
        catch (Exception error) when (error is not (ChatTemplateException or OutOfMemoryException))
        {
            throw new ChatTemplateException($"chat template syntax error: the parser failed unexpectedly ({error.GetType().Name}: {error.Message})", error);
        }
    }

    /// <summary>1-based <c>line:column</c> of <paramref name="offset"/> in <paramref name="source"/>.</summary>
    public static string Where(string source, int offset)
    {
        var (line, column) = LineColumn(source, offset);
        return $"{line}:{column}";
    }

    public static (int Line, int Column) LineColumn(string source, int offset)
    {
        offset = Math.Clamp(offset, 0, source.Length);
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++)
        {
            if (source[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, offset - lineStart + 1);
    }

    public static ChatTemplateException SyntaxError(string source, int offset, string message)
    {
        var (line, column) = LineColumn(source, offset);
        return new ChatTemplateException($"chat template syntax error at {Where(source, offset)}: {message}") { Line = line, Column = column };
    }

    private static string NormalizeNewlines(string source)
    {
        string text = source.Contains('\r', StringComparison.Ordinal)
            ? source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n')
            : source;
        return text.EndsWith('\n') ? text[..^1] : text;
    }

    private ChatTemplateException Fail(int offset, string message) => SyntaxError(_source, offset, message);

    private ChatTemplateException Fail(string message) => Fail(_tokens.Current.Position, message);

    /// <summary>Statements up to one of <paramref name="endTags"/> (consumed, reported in <paramref name="endTag"/>) or the end of the template.</summary>
    private List<Node> ParseBody(string[] endTags, out TemplateToken endTag)
    {
        var nodes = new List<Node>();
        if (endTags.Length > 0)
        {
            _endTagStack.Add(endTags);
        }

        try
        {
            while (_next < _segments.Count)
            {
                var segment = _segments[_next++];
                switch (segment.Kind)
                {
                    case SegmentKind.Text:
                        nodes.Add(new TextNode(segment.Content, segment.Position));
                        break;
                    case SegmentKind.Comment:
                        break;
                    case SegmentKind.Output:
                        {
                            StartTag(segment);
                            var value = ParseTuple();
                            ExpectEnd();
                            nodes.Add(new OutputNode(value, segment.Position));
                            break;
                        }

                    default:
                        {
                            StartTag(segment);
                            var name = _tokens.Current;
                            if (name.Kind != TokenKind.Name)
                            {
                                throw Fail("tag name expected");
                            }

                            if (Array.IndexOf(endTags, name.Text) >= 0)
                            {
                                _tokens.Next();
                                endTag = name;
                                return nodes;
                            }

                            nodes.Add(ParseStatement());
                            break;
                        }
                }
            }

            if (endTags.Length > 0)
            {
                throw Fail(_source.Length, UnknownTagMessage(null));
            }

            endTag = default;
            return nodes;
        }
        finally
        {
            if (endTags.Length > 0)
            {
                _endTagStack.RemoveAt(_endTagStack.Count - 1);
            }
        }
    }

    private void StartTag(TemplateSegment segment)
    {
        _tokens = new TokenStream(ExpressionLexer.Tokenize(_source, segment.Content, segment.ContentPosition), segment.Kind, _source);
    }

    private string UnknownTagMessage(string? name)
    {
        var parts = new List<string> { name is null ? "Unexpected end of template." : $"Encountered unknown tag {PyFormat.Repr(name)}." };
        if (_endTagStack.Count > 0)
        {
            string looking = string.Join(" or ", _endTagStack[^1].Select(PyFormat.Repr));
            bool expectedElsewhere = name is not null && _endTagStack.Any(tags => tags.Contains(name, StringComparer.Ordinal));
            parts.Add(expectedElsewhere
                ? $"You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for {looking}."
                : $"Jinja was looking for the following tags: {looking}.");
        }

        if (_tagStack.Count > 0)
        {
            parts.Add($"The innermost block that needs to be closed is {PyFormat.Repr(_tagStack[^1])}.");
        }

        return string.Join(" ", parts);
    }

    private Node ParseStatement()
    {
        var token = _tokens.Current;
        string name = token.Text;
        if (UnsupportedTags.Contains(name))
        {
            throw Fail($"'{name}' is not supported in chat templates (there is no template loader and no template inheritance)");
        }

        Func<TemplateToken, Node>? parse = name switch
        {
            "if" => (Func<TemplateToken, Node>)ParseIf,
            "for" => ParseFor,
            "set" => ParseSet,
            "macro" => ParseMacro,
            "call" => ParseCallBlock,
            "filter" => ParseFilterBlock,
            "with" => ParseWith,
            "print" => ParsePrint,
            "block" => ParseBlock,
            "generation" => ParseGeneration,
            "raw" => ParseRaw,
            "break" or "continue" => ParseLoopControl,
            _ => null,
        };
        if (parse is null)
        {
            throw Fail(UnknownTagMessage(name));
        }

        _tokens.Next();
        Enter(token.Position);
        _tagStack.Add(name);
        try
        {
            return parse(token);
        }
        finally
        {
            _tagStack.RemoveAt(_tagStack.Count - 1);
            _nesting--;
        }
    }

    private void Enter(int position)
    {
        if (++_nesting > MaxNesting)
        {
            throw Fail(position, $"the template nests deeper than this renderer allows ({MaxNesting} levels)");
        }

        RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    /// <summary>Jinja's <c>parse_statements</c> preamble: an optional colon, then the end of the tag.</summary>
    private void ExpectBlockEnd()
    {
        _tokens.SkipOperator(":");
        ExpectEnd();
    }

    private void ExpectEnd()
    {
        if (_tokens.Current.Kind != TokenKind.End)
        {
            throw Fail($"expected token '{new TemplateToken(TokenKind.End, "", 0).Describe(_tokens.Tag)}', got {PyFormat.Repr(_tokens.Current.Describe(_tokens.Tag))}");
        }
    }

    private List<Node> ParseBlockBody(string[] endTags, out TemplateToken endTag)
    {
        ExpectBlockEnd();
        return ParseBody(endTags, out endTag);
    }

    private IfNode ParseIf(TemplateToken start)
    {
        bool outerSoft = _soft;
        _soft = true;
        try
        {
            var branches = new List<KeyValuePair<Expr, IReadOnlyList<Node>>>();
            IReadOnlyList<Node> otherwise = [];
            while (true)
            {
                var test = ParseTuple(withCondExpr: false);
                var body = ParseBlockBody(["elif", "else", "endif"], out var end);
                branches.Add(new(test, body));
                if (end.Text == "elif")
                {
                    continue;
                }

                if (end.Text == "else")
                {
                    otherwise = ParseBlockBody(["endif"], out _);
                }

                ExpectEnd();
                break;
            }

            return new IfNode(branches, otherwise, start.Position);
        }
        finally
        {
            _soft = outerSoft;
        }
    }

    private ForNode ParseFor(TemplateToken start)
    {
        var target = ParseAssignTarget();
        _tokens.ExpectName("in");
        var iterable = ParseTuple(withCondExpr: false);
        Expr? filter = null;
        if (_tokens.SkipName("if"))
        {
            filter = ParseExpression();
        }

        bool recursive = _tokens.SkipName("recursive");
        bool outerSoft = _soft;
        _soft = false;
        try
        {
            _loopDepth++;
            List<Node> body;
            TemplateToken end;
            try
            {
                body = ParseBlockBody(["endfor", "else"], out end);
            }
            finally
            {
                _loopDepth--;
            }

            IReadOnlyList<Node> otherwise = [];
            if (end.Text == "else")
            {
                otherwise = ParseBlockBody(["endfor"], out _);
            }

            ExpectEnd();
            return new ForNode(target, iterable, filter, body, otherwise, recursive, start.Position);
        }
        finally
        {
            _soft = outerSoft;
        }
    }

    private Node ParseSet(TemplateToken start)
    {
        var target = ParseAssignTarget(withNamespace: true);
        if (_tokens.SkipOperator("="))
        {
            var value = ParseTuple();
            ExpectEnd();
            return new SetNode(target, value, start.Position);
        }

        var filter = _tokens.Current.Is("|") ? (FilterExpr)ParseFilter(null, startInline: false) : null;
        var body = ParseScopedBody(["endset"], keepLoop: true);
        return new SetBlockNode(target, filter, body, start.Position);
    }

    /// <summary>A body that is its own jinja2 frame: not soft; <paramref name="keepLoop"/> says whether break/continue may still reach an enclosing loop.</summary>
    private List<Node> ParseScopedBody(string[] endTags, bool keepLoop)
    {
        bool outerSoft = _soft;
        int outerLoops = _loopDepth;
        _soft = false;
        if (!keepLoop)
        {
            _loopDepth = 0;
        }

        try
        {
            var body = ParseBlockBody(endTags, out _);
            ExpectEnd();
            return body;
        }
        finally
        {
            _soft = outerSoft;
            _loopDepth = outerLoops;
        }
    }

    private MacroNode ParseMacro(TemplateToken start)
    {
        var nameToken = _tokens.Expect(TokenKind.Name, "name");
        var (parameters, defaults) = ParseSignature();
        var macro = ParseMacroBody(nameToken.Text, parameters, defaults, ["endmacro"], start.Position);
        return new MacroNode(macro, start.Position);
    }

    private MacroDefinition ParseMacroBody(string name, List<string> parameters, List<Expr?> defaults, string[] endTags, int position)
    {
        _referencedNames.Add(new HashSet<string>(StringComparer.Ordinal));
        HashSet<string> names;
        List<Node> body;
        try
        {
            body = ParseScopedBody(endTags, keepLoop: false);
        }
        finally
        {
            names = _referencedNames[^1];
            _referencedNames.RemoveAt(_referencedNames.Count - 1);
        }

        if (_referencedNames.Count > 0)
        {
            _referencedNames[^1].UnionWith(names);
        }

        return new MacroDefinition(
            name,
            parameters,
            defaults,
            body,
            CatchVarargs: names.Contains("varargs"),
            CatchKwargs: names.Contains("kwargs"),
            CatchCaller: names.Contains("caller"),
            position);
    }

    private (List<string> Parameters, List<Expr?> Defaults) ParseSignature()
    {
        var parameters = new List<string>();
        var defaults = new List<Expr?>();
        _tokens.ExpectOperator("(");
        while (!_tokens.Current.Is(")"))
        {
            if (parameters.Count > 0)
            {
                _tokens.ExpectOperator(",");
            }

            var parameter = _tokens.Expect(TokenKind.Name, "name");
            if (_tokens.SkipOperator("="))
            {
                defaults.Add(ParseExpression());
            }
            else if (defaults.Any(d => d is not null))
            {
                throw Fail(parameter.Position, "non-default argument follows default argument");
            }
            else
            {
                defaults.Add(null);
            }

            parameters.Add(parameter.Text);
        }

        _tokens.ExpectOperator(")");
        return (parameters, defaults);
    }

    private CallBlockNode ParseCallBlock(TemplateToken start)
    {
        var (parameters, defaults) = _tokens.Current.Is("(") ? ParseSignature() : ([], []);
        var call = ParseExpression();
        if (call is not CallExpr callExpr)
        {
            throw Fail(start.Position, "expected call");
        }

        var caller = ParseMacroBody("caller", parameters, defaults, ["endcall"], start.Position);
        return new CallBlockNode(callExpr, caller, start.Position);
    }

    private FilterBlockNode ParseFilterBlock(TemplateToken start)
    {
        var filter = (FilterExpr)ParseFilter(null, startInline: true);
        var body = ParseScopedBody(["endfilter"], keepLoop: true);
        return new FilterBlockNode(filter, body, start.Position);
    }

    private WithNode ParseWith(TemplateToken start)
    {
        var assignments = new List<KeyValuePair<AssignTarget, Expr>>();
        while (_tokens.Current.Kind != TokenKind.End)
        {
            if (assignments.Count > 0)
            {
                _tokens.ExpectOperator(",");
            }

            var target = ParseAssignTarget();
            _tokens.ExpectOperator("=");
            assignments.Add(new(target, ParseExpression()));
        }

        var body = ParseScopedBody(["endwith"], keepLoop: true);
        return new WithNode(assignments, body, start.Position);
    }

    private OutputNode ParsePrint(TemplateToken start)
    {
        var parts = new List<Expr>();
        while (_tokens.Current.Kind != TokenKind.End)
        {
            if (parts.Count > 0)
            {
                _tokens.ExpectOperator(",");
            }

            parts.Add(ParseExpression());
        }

        return new OutputNode(new ConcatExpr(parts, start.Position), start.Position);
    }

    private BlockNode ParseBlock(TemplateToken start)
    {
        var name = _tokens.Expect(TokenKind.Name, "name");
        if (!_blockNames.Add(name.Text))
        {
            throw Fail(name.Position, $"block {PyFormat.Repr(name.Text)} defined twice");
        }

        bool scoped = _tokens.SkipName("scoped");
        bool required = _tokens.SkipName("required");
        bool outerSoft = _soft;
        int outerLoops = _loopDepth;
        _soft = false;
        _loopDepth = 0;
        try
        {
            var body = ParseBlockBody(["endblock"], out _);
            _tokens.SkipName(name.Text);
            ExpectEnd();
            return new BlockNode(name.Text, scoped, required, body, start.Position);
        }
        finally
        {
            _soft = outerSoft;
            _loopDepth = outerLoops;
        }
    }

    private GenerationNode ParseGeneration(TemplateToken start)
    {
        var body = ParseScopedBody(["endgeneration"], keepLoop: false);
        return new GenerationNode(body, start.Position);
    }

    private GenerationNode ParseRaw(TemplateToken start)
    {
        ExpectEnd();
        var text = new List<Node>();
        while (_next < _segments.Count && _segments[_next].IsRaw)
        {
            var segment = _segments[_next++];
            text.Add(new TextNode(segment.Content, segment.Position));
        }

        // The segmenter always emits the matching endraw tag right after the raw text.
        _next++;
        return new GenerationNode(text, start.Position);
    }

    private LoopControlNode ParseLoopControl(TemplateToken start)
    {
        if (_loopDepth == 0)
        {
            throw Fail(start.Position, $"'{start.Text}' outside of a for loop");
        }

        ExpectEnd();
        return new LoopControlNode(start.Text == "break", start.Position);
    }

    /// <summary>An unknown filter or test name; <see cref="Soft"/> when it appeared inside an if-block or a conditional expression.</summary>
    private sealed class UnknownName(string kind, string name, int position, bool soft)
    {
        public string Kind { get; } = kind;

        public string Name { get; } = name;

        public int Position { get; } = position;

        public bool Soft { get; set; } = soft;
    }
}
