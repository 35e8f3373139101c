namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Expressions, with jinja2's precedence from loosest to tightest: conditional <c>a if b else c</c>, <c>or</c>,
/// <c>and</c>, <c>not</c>, comparisons (<c>== != &lt; &lt;= &gt; &gt;= in not in</c>, chained), <c>+ -</c>, <c>~</c>,
/// <c>* / // %</c>, <c>**</c> (left-associative, as in jinja2), unary <c>- +</c>, then postfix (<c>.attr</c>,
/// <c>[key]</c>, calls) and filters/tests, which apply to the whole unary expression (<c>-x|abs</c> is <c>abs(-x)</c>).
/// </summary>
internal sealed partial class TemplateParser
{
    private static readonly HashSet<string> CompareOperators = new(StringComparer.Ordinal) { "==", "!=", "<", "<=", ">", ">=" };

    private static readonly HashSet<string> Constants = new(StringComparer.Ordinal) { "true", "false", "none", "True", "False", "None" };

    private Expr ParseExpression(bool withCondExpr = true) => withCondExpr ? ParseCondExpr() : ParseOr();

    /// <summary>Comma-separated expressions; a tuple if there is a comma, else the single expression.</summary>
    private Expr ParseTuple(bool simplified = false, bool withCondExpr = true, bool explicitParentheses = false, bool withNamespace = false)
    {
        int position = _tokens.Current.Position;
        var items = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0)
            {
                _tokens.ExpectOperator(",");
            }

            if (IsTupleEnd())
            {
                break;
            }

            items.Add(simplified ? ParsePrimary(withNamespace) : ParseExpression(withCondExpr));
            if (_tokens.Current.Is(","))
            {
                isTuple = true;
            }
            else
            {
                break;
            }
        }

        if (!isTuple)
        {
            if (items.Count > 0)
            {
                return items[0];
            }

            if (!explicitParentheses)
            {
                throw Fail($"Expected an expression, got {PyFormat.Repr(_tokens.Current.Describe(_tokens.Tag))}");
            }
        }

        return new TupleExpr(items, position);
    }

    /// <summary>
    /// End of a tuple: the end of the tag or a closing parenthesis. jinja2 3.1 also takes "extra end rules" (<c>in</c> for
    /// for-loop targets) but never matches them (<c>test_any</c> receives the rules as one argument), so
    /// <c>{% for x, in y %}</c> reads <c>in</c> as a name there; this parser does the same.
    /// </summary>
    private bool IsTupleEnd()
    {
        var current = _tokens.Current;
        return current.Kind == TokenKind.End || current.Is(")");
    }

    /// <summary>A <c>set</c>/<c>for</c>/<c>with</c> target; with <paramref name="withNamespace"/> (set only) names may be <c>ns.attr</c>, also inside a tuple.</summary>
    private AssignTarget ParseAssignTarget(bool withTuple = true, bool withNamespace = false)
    {
        var target = withTuple ? ParseTuple(simplified: true, withNamespace: withNamespace) : ParsePrimary(withNamespace);
        return ToTarget(target);
    }

    private AssignTarget ToTarget(Expr expr) => expr switch
    {
        NameExpr name when !Constants.Contains(name.Name) => new NameTarget(name.Name, name.Position),
        NamespaceRefExpr reference => new NamespaceTarget(reference.Namespace, reference.Attribute, reference.Position),
        TupleExpr tuple => new TupleTarget(tuple.Items.Select(ToTarget).ToList(), tuple.Position),
        _ => throw Fail(expr.Position, $"can't assign to {PyFormat.Repr(NodeKind(expr))}"),
    };

    private static string NodeKind(Expr expr) => expr switch
    {
        ConstExpr => "const",
        ListExpr => "list",
        DictExpr => "dict",
        CallExpr => "call",
        GetAttrExpr => "getattr",
        GetItemExpr => "getitem",
        _ => "expression",
    };

    private Expr ParseCondExpr()
    {
        int position = _tokens.Current.Position;
        int unknownBefore = _unknownNames.Count;
        Enter(position);
        try
        {
            var expr = ParseOr();
            while (_tokens.SkipName("if"))
            {
                // Filters in any part of a conditional expression are checked at run time, like inside if-blocks.
                for (int i = unknownBefore; i < _unknownNames.Count; i++)
                {
                    _unknownNames[i].Soft = true;
                }

                bool outerSoft = _soft;
                _soft = true;
                try
                {
                    var test = ParseOr();
                    Expr? otherwise = _tokens.SkipName("else") ? ParseCondExpr() : null;
                    expr = new CondExpr(test, expr, otherwise, position);
                }
                finally
                {
                    _soft = outerSoft;
                }
            }

            return expr;
        }
        finally
        {
            _nesting--;
        }
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (_tokens.Current.IsName("or"))
        {
            int position = _tokens.Next().Position;
            left = new BinaryExpr("or", left, ParseAnd(), position);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (_tokens.Current.IsName("and"))
        {
            int position = _tokens.Next().Position;
            left = new BinaryExpr("and", left, ParseNot(), position);
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (_tokens.Current.IsName("not"))
        {
            int position = _tokens.Next().Position;
            Enter(position);
            try
            {
                return new UnaryExpr("not", ParseNot(), position);
            }
            finally
            {
                _nesting--;
            }
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        int position = _tokens.Current.Position;
        var first = ParseMath1();
        var rest = new List<KeyValuePair<string, Expr>>();
        while (true)
        {
            var current = _tokens.Current;
            if (current.Kind == TokenKind.Operator && CompareOperators.Contains(current.Text))
            {
                _tokens.Next();
                rest.Add(new(current.Text, ParseMath1()));
            }
            else if (current.IsName("in"))
            {
                _tokens.Next();
                rest.Add(new("in", ParseMath1()));
            }
            else if (current.IsName("not") && _tokens.Peek.IsName("in"))
            {
                _tokens.Next();
                _tokens.Next();
                rest.Add(new("notin", ParseMath1()));
            }
            else
            {
                break;
            }
        }

        return rest.Count == 0 ? first : new CompareExpr(first, rest, position);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (_tokens.Current.Is("+") || _tokens.Current.Is("-"))
        {
            var op = _tokens.Next();
            left = Fold(new BinaryExpr(op.Text, left, ParseConcat(), op.Position));
        }

        return left;
    }

    private Expr ParseConcat()
    {
        int position = _tokens.Current.Position;
        var parts = new List<Expr> { ParseMath2() };
        while (_tokens.SkipOperator("~"))
        {
            parts.Add(ParseMath2());
        }

        return parts.Count == 1 ? parts[0] : new ConcatExpr(parts, position);
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (_tokens.Current.Is("*") || _tokens.Current.Is("/") || _tokens.Current.Is("//") || _tokens.Current.Is("%"))
        {
            var op = _tokens.Next();
            left = Fold(new BinaryExpr(op.Text, left, ParsePow(), op.Position));
        }

        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary();
        while (_tokens.Current.Is("**"))
        {
            var op = _tokens.Next();
            left = Fold(new BinaryExpr("**", left, ParseUnary(), op.Position));
        }

        return left;
    }

    /// <summary>
    /// jinja2's optimizer replaces arithmetic on number constants by its result; that is observable only through the
    /// "-2 ** x" quirk (see <see cref="TemplateRenderer"/>), which is why numbers are folded here and nothing else.
    /// </summary>
    private static Expr Fold(BinaryExpr binary)
    {
        if (binary is { Left: ConstExpr { Value: long or double or bool } left, Right: ConstExpr { Value: long or double or bool } right })
        {
            try
            {
                // Numeric operands never reach the renderer (it is only needed to account for strings and lists).
                return new ConstExpr(Py.Binary(null!, binary.Operator, left.Value, right.Value), binary.Position);
            }
            catch (ChatTemplateException)
            {
                // 1 / 0 and overflows stay as they are and fail when they run, as in jinja2.
            }
        }

        return binary;
    }

    private Expr ParseUnary(bool withFilter = true)
    {
        var token = _tokens.Current;
        Enter(token.Position);
        try
        {
            Expr node;
            if (token.Is("-") || token.Is("+"))
            {
                _tokens.Next();
                var operand = ParseUnary(withFilter: false);

                // jinja2 folds the sign of a number literal into the constant (this matters for "**", see EvaluateBinary).
                node = operand is ConstExpr { Value: long or double or bool } constant
                    ? new ConstExpr(token.Text == "-" ? Py.Neg(constant.Value) : Py.Pos(constant.Value), token.Position)
                    : new UnaryExpr(token.Text, operand, token.Position);
            }
            else
            {
                node = ParsePrimary();
            }

            node = ParsePostfix(node);
            return withFilter ? ParseFilterExpr(node) : node;
        }
        finally
        {
            _nesting--;
        }
    }

    private Expr ParsePrimary(bool withNamespace = false)
    {
        var token = _tokens.Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                _tokens.Next();
                switch (token.Text)
                {
                    case "true" or "True":
                        return new ConstExpr(true, token.Position);
                    case "false" or "False":
                        return new ConstExpr(false, token.Position);
                    case "none" or "None":
                        return new ConstExpr(null, token.Position);
                    case var _ when withNamespace && _tokens.Current.Is("."):
                        _tokens.Next();
                        return new NamespaceRefExpr(token.Text, _tokens.Expect(TokenKind.Name, "name").Text, token.Position);
                    default:
                        if (_referencedNames.Count > 0)
                        {
                            _referencedNames[^1].Add(token.Text);
                        }

                        return new NameExpr(token.Text, token.Position);
                }

            case TokenKind.String:
                {
                    // Adjacent string literals are joined, as in Python.
                    _tokens.Next();
                    string value = token.Text;
                    while (_tokens.Current.Kind == TokenKind.String)
                    {
                        value += _tokens.Next().Text;
                    }

                    return new ConstExpr(value, token.Position);
                }

            case TokenKind.Integer or TokenKind.Float:
                _tokens.Next();
                return new ConstExpr(token.Value, token.Position);
            default:
                if (token.Is("("))
                {
                    _tokens.Next();
                    Enter(token.Position);
                    try
                    {
                        var inner = ParseTuple(explicitParentheses: true);
                        _tokens.ExpectOperator(")");
                        return inner;
                    }
                    finally
                    {
                        _nesting--;
                    }
                }

                if (token.Is("["))
                {
                    return ParseList();
                }

                if (token.Is("{"))
                {
                    return ParseDict();
                }

                throw Fail($"unexpected {PyFormat.Repr(token.Describe(_tokens.Tag))}");
        }
    }

    private ListExpr ParseList()
    {
        var start = _tokens.ExpectOperator("[");
        Enter(start.Position);
        try
        {
            var items = new List<Expr>();
            while (!_tokens.Current.Is("]"))
            {
                if (items.Count > 0)
                {
                    _tokens.ExpectOperator(",");
                }

                if (_tokens.Current.Is("]"))
                {
                    break;
                }

                items.Add(ParseExpression());
            }

            _tokens.ExpectOperator("]");
            return new ListExpr(items, start.Position);
        }
        finally
        {
            _nesting--;
        }
    }

    private DictExpr ParseDict()
    {
        var start = _tokens.ExpectOperator("{");
        Enter(start.Position);
        try
        {
            var items = new List<KeyValuePair<Expr, Expr>>();
            while (!_tokens.Current.Is("}"))
            {
                if (items.Count > 0)
                {
                    _tokens.ExpectOperator(",");
                }

                if (_tokens.Current.Is("}"))
                {
                    break;
                }

                var key = ParseExpression();
                _tokens.ExpectOperator(":");
                items.Add(new(key, ParseExpression()));
            }

            _tokens.ExpectOperator("}");
            return new DictExpr(items, start.Position);
        }
        finally
        {
            _nesting--;
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (_tokens.Current.Is(".") || _tokens.Current.Is("["))
            {
                node = ParseSubscript(node);
            }
            else if (_tokens.Current.Is("("))
            {
                node = ParseCall(node);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (_tokens.Current.Is("|"))
            {
                node = ParseFilter(node, startInline: false);
            }
            else if (_tokens.Current.IsName("is"))
            {
                node = ParseTest(node);
            }
            else if (_tokens.Current.Is("("))
            {
                node = ParseCall(node);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        var token = _tokens.Next();
        if (token.Is("."))
        {
            var attribute = _tokens.Current;
            _tokens.Next();
            if (attribute.Kind == TokenKind.Name)
            {
                return new GetAttrExpr(node, attribute.Text, token.Position);
            }

            if (attribute.Kind != TokenKind.Integer)
            {
                throw Fail(attribute.Position, "expected name or number");
            }

            return new GetItemExpr(node, new ConstExpr(attribute.Value, attribute.Position), token.Position);
        }

        Enter(token.Position);
        try
        {
            var keys = new List<Expr>();
            while (!_tokens.Current.Is("]"))
            {
                if (keys.Count > 0)
                {
                    _tokens.ExpectOperator(",");
                }

                keys.Add(ParseSubscribed());
            }

            _tokens.ExpectOperator("]");
            return new GetItemExpr(node, keys.Count == 1 ? keys[0] : new TupleExpr(keys, token.Position), token.Position);
        }
        finally
        {
            _nesting--;
        }
    }

    private Expr ParseSubscribed()
    {
        int position = _tokens.Current.Position;
        var parts = new List<Expr?>();
        if (_tokens.Current.Is(":"))
        {
            _tokens.Next();
            parts.Add(null);
        }
        else
        {
            var first = ParseExpression();
            if (!_tokens.Current.Is(":"))
            {
                return first;
            }

            _tokens.Next();
            parts.Add(first);
        }

        if (_tokens.Current.Is(":"))
        {
            parts.Add(null);
        }
        else if (!_tokens.Current.Is("]") && !_tokens.Current.Is(","))
        {
            parts.Add(ParseExpression());
        }
        else
        {
            parts.Add(null);
        }

        if (_tokens.SkipOperator(":"))
        {
            parts.Add(!_tokens.Current.Is("]") && !_tokens.Current.Is(",") ? ParseExpression() : null);
        }
        else
        {
            parts.Add(null);
        }

        return new SliceExpr(parts[0], parts[1], parts[2], position);
    }

    /// <summary>A call; its position is the callee's, so that errors point at <c>raise_exception(...)</c>, not at the parenthesis.</summary>
    private CallExpr ParseCall(Expr callee) => new(callee, ParseCallArguments(), callee.Position);

    private CallArgumentsExpr ParseCallArguments()
    {
        var start = _tokens.ExpectOperator("(");
        Enter(start.Position);
        try
        {
            var positional = new List<Expr>();
            var named = new List<KeyValuePair<string, Expr>>();
            Expr? starArgs = null;
            Expr? starKwargs = null;
            bool requireComma = false;
            void Ensure(bool condition)
            {
                if (!condition)
                {
                    throw Fail(start.Position, "invalid syntax for function call expression");
                }
            }

            while (!_tokens.Current.Is(")"))
            {
                if (requireComma)
                {
                    _tokens.ExpectOperator(",");
                    if (_tokens.Current.Is(")"))
                    {
                        break;
                    }
                }

                if (_tokens.Current.Is("*"))
                {
                    Ensure(starArgs is null && starKwargs is null);
                    _tokens.Next();
                    starArgs = ParseExpression();
                }
                else if (_tokens.Current.Is("**"))
                {
                    Ensure(starKwargs is null);
                    _tokens.Next();
                    starKwargs = ParseExpression();
                }
                else if (_tokens.Current.Kind == TokenKind.Name && _tokens.Peek.Is("="))
                {
                    Ensure(starKwargs is null);
                    string key = _tokens.Next().Text;
                    _tokens.Next();
                    named.Add(new(key, ParseExpression()));
                }
                else
                {
                    Ensure(starArgs is null && starKwargs is null && named.Count == 0);
                    positional.Add(ParseExpression());
                }

                requireComma = true;
            }

            _tokens.ExpectOperator(")");
            return new CallArgumentsExpr(positional, named, starArgs, starKwargs);
        }
        finally
        {
            _nesting--;
        }
    }

    private Expr ParseFilter(Expr? node, bool startInline)
    {
        while (_tokens.Current.Is("|") || startInline)
        {
            if (!startInline)
            {
                _tokens.Next();
            }

            var token = _tokens.Expect(TokenKind.Name, "name");
            string name = token.Text;
            while (_tokens.SkipOperator("."))
            {
                name += "." + _tokens.Expect(TokenKind.Name, "name").Text;
            }

            var arguments = _tokens.Current.Is("(") ? ParseCallArguments() : CallArgumentsExpr.Empty;
            var function = TemplateFilters.Find(name);
            if (function is null)
            {
                _unknownNames.Add(new UnknownName("filter", name, token.Position, _soft));
            }

            node = new FilterExpr(node, name, function, arguments, token.Position);
            startInline = false;
        }

        return node!;
    }

    private Expr ParseTest(Expr node)
    {
        var isToken = _tokens.Next();
        bool negated = _tokens.SkipName("not");
        var nameToken = _tokens.Expect(TokenKind.Name, "name");
        string name = nameToken.Text;
        while (_tokens.SkipOperator("."))
        {
            name += "." + _tokens.Expect(TokenKind.Name, "name").Text;
        }

        CallArgumentsExpr arguments;
        var current = _tokens.Current;
        if (current.Is("("))
        {
            arguments = ParseCallArguments();
        }
        else if ((current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float || current.Is("[") || current.Is("{"))
            && !current.IsName("else") && !current.IsName("or") && !current.IsName("and"))
        {
            if (current.IsName("is"))
            {
                throw Fail("You cannot chain multiple tests with is");
            }

            var argument = ParsePostfix(ParsePrimary());
            arguments = new CallArgumentsExpr([argument], [], null, null);
        }
        else
        {
            arguments = CallArgumentsExpr.Empty;
        }

        var function = TemplateTests.Find(name);
        if (function is null)
        {
            _unknownNames.Add(new UnknownName("test", name, nameToken.Position, _soft));
        }

        Expr test = new TestExpr(node, name, function, arguments, isToken.Position);
        return negated ? new UnaryExpr("not", test, isToken.Position) : test;
    }
}
