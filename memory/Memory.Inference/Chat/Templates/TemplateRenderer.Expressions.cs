using System.Text;

namespace Memory.Inference.Chat.Templates;

/// <summary>Expression evaluation, and the sandbox's attribute/item access and call rules.</summary>
internal sealed partial class TemplateRenderer
{
    private object? Evaluate(Expr expr)
    {
        Step();
        EnterDepth();
        try
        {
            return expr switch
            {
                ConstExpr constant => constant.Value,
                NameExpr name => _scope.TryLookup(name.Name, out var value) ? value : UndefinedValue.Variable(name.Name),
                ListExpr list => new ListValue(EvaluateAll(list.Items), SequenceKind.List),
                TupleExpr tuple => new ListValue(EvaluateAll(tuple.Items), SequenceKind.Tuple),
                DictExpr dict => EvaluateDict(dict),
                GetAttrExpr attribute => GetAttribute(Evaluate(attribute.Target), attribute.Attribute),
                GetItemExpr { Key: SliceExpr slice } item => Slice(Evaluate(item.Target), slice),
                GetItemExpr item => GetItem(Evaluate(item.Target), Evaluate(item.Key)),
                CallExpr call => EvaluateCall(call, caller: null),
                FilterExpr filter => ApplyFilter(filter, Evaluate(filter.Value!)),
                TestExpr test => ApplyTest(test),
                UnaryExpr { Operator: "not" } unary => !Py.Truthy(Evaluate(unary.Operand)),
                UnaryExpr { Operator: "-" } unary => Py.Neg(Evaluate(unary.Operand)),
                UnaryExpr unary => Py.Pos(Evaluate(unary.Operand)),
                BinaryExpr binary => EvaluateBinary(binary),
                ConcatExpr concat => Concat(concat),
                CompareExpr compare => EvaluateCompare(compare),
                CondExpr conditional => Py.Truthy(Evaluate(conditional.Test))
                    ? Evaluate(conditional.Then)
                    : conditional.Otherwise is not null
                        ? Evaluate(conditional.Otherwise)
                        : UndefinedValue.WithHint($"the inline if-expression on line {TemplateParser.LineColumn(_document.Source, conditional.Position).Line} evaluated to false and no else section was defined."),
                _ => throw new InvalidOperationException($"unknown expression {expr.GetType().Name}"),
            };
        }
        catch (ChatTemplateException error) when (error.Line is null)
        {
            throw Locate(error, expr.Position);
        }
        finally
        {
            _depth--;
        }
    }

    private object?[] EvaluateAll(IReadOnlyList<Expr> items)
    {
        var values = new object?[items.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Evaluate(items[i]);
        }

        Allocate(values.Length);
        return values;
    }

    private DictValue EvaluateDict(DictExpr dict)
    {
        var result = new DictValue();
        foreach (var (key, value) in dict.Items)
        {
            result.Set(Evaluate(key), Evaluate(value));
        }

        Allocate(dict.Items.Count);
        return result;
    }

    private object? EvaluateBinary(BinaryExpr binary)
    {
        if (binary.Operator == "or")
        {
            var left = Evaluate(binary.Left);
            return Py.Truthy(left) ? left : Evaluate(binary.Right);
        }

        if (binary.Operator == "and")
        {
            var left = Evaluate(binary.Left);
            return Py.Truthy(left) ? Evaluate(binary.Right) : left;
        }

        var a = Evaluate(binary.Left);
        var b = Evaluate(binary.Right);
        if (binary is { Operator: "**", Left: ConstExpr { Value: long or double } literal, Right: not ConstExpr } && Py.Compare("<", literal.Value, 0L))
        {
            // jinja2 writes a folded negative constant into the generated Python as "-2 ** x", which Python reads as
            // -(2 ** x); only when both sides are constants does it compute (-2) ** 2 itself.
            return Py.Neg(Py.Binary(this, "**", Py.Neg(a), b));
        }

        return Py.Binary(this, binary.Operator, a, b);
    }

    private string Concat(ConcatExpr concat)
    {
        var parts = new string[concat.Parts.Count];
        long length = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = PyFormat.Str(Evaluate(concat.Parts[i]));
            length += parts[i].Length;
        }

        Allocate(length);
        return string.Concat(parts);
    }

    private bool EvaluateCompare(CompareExpr compare)
    {
        var left = Evaluate(compare.First);
        foreach (var (op, operand) in compare.Rest)
        {
            var right = Evaluate(operand);
            bool holds = op switch
            {
                "==" => Py.Equal(left, right),
                "!=" => !Py.Equal(left, right),
                "in" => Py.Contains(right, left),
                "notin" => !Py.Contains(right, left),
                _ => Py.Compare(op, left, right),
            };
            if (!holds)
            {
                return false;
            }

            left = right;
        }

        return true;
    }

    private object? Slice(object? target, SliceExpr slice)
    {
        var start = slice.Start is null ? null : Evaluate(slice.Start);
        var stop = slice.Stop is null ? null : Evaluate(slice.Stop);
        var step = slice.Step is null ? null : Evaluate(slice.Step);
        if (target is UndefinedValue undefined)
        {
            throw undefined.Fail();
        }

        if (start is not (null or long or bool) || stop is not (null or long or bool) || step is not (null or long or bool))
        {
            // Python: "slice indices must be integers or None"; jinja2's getitem turns that TypeError into undefined.
            return UndefinedValue.Missing(target, "slice");
        }

        long? First(object? value) => value is null ? null : Py.ToLong(value);
        switch (target)
        {
            case string s:
                return PyString.Slice(s, First(start), First(stop), First(step));
            case ListValue { IsIndexable: true } list:
                {
                    var (from, _, by, count) = Py.SliceIndices(list.Count, First(start), First(stop), First(step));
                    var items = new object?[count];
                    for (long i = 0, at = from; i < count; i++, at += by)
                    {
                        items[i] = list.Items[(int)at];
                    }

                    Allocate(items.Length);
                    return new ListValue(items, list.Kind == SequenceKind.Tuple ? SequenceKind.Tuple : SequenceKind.List);
                }

            default:
                return UndefinedValue.Missing(target, "slice");
        }
    }

    /// <summary>
    /// jinja2's sandboxed <c>getattr</c> (<c>x.name</c>): a Python attribute first (str, dict and list methods, loop and
    /// namespace attributes), then an item; unsafe methods (those that mutate) give an undefined that raises a
    /// SecurityError when called.
    /// </summary>
    public static object? GetAttribute(object? target, string name)
    {
        if (target is UndefinedValue undefined)
        {
            throw undefined.Fail();
        }

        if (PyMethods.TryGetAttribute(target, name, out var value))
        {
            return value;
        }

        if (PyMethods.IsUnsafe(target, name))
        {
            return UndefinedValue.Unsafe(target, name);
        }

        if (TryGetItem(target, name, out value))
        {
            return value;
        }

        return UndefinedValue.Missing(target, name);
    }

    /// <summary>jinja2's sandboxed <c>getitem</c> (<c>x[key]</c>): an item first, then (for string keys) an attribute.</summary>
    public static object? GetItem(object? target, object? key)
    {
        if (target is UndefinedValue undefined)
        {
            throw undefined.Fail();
        }

        if (TryGetItem(target, key, out var value))
        {
            return value;
        }

        if (key is string name)
        {
            if (PyMethods.TryGetAttribute(target, name, out value))
            {
                return value;
            }

            if (PyMethods.IsUnsafe(target, name))
            {
                return UndefinedValue.Unsafe(target, name);
            }
        }

        return UndefinedValue.Missing(target, key);
    }

    private static bool TryGetItem(object? target, object? key, out object? value)
    {
        value = null;
        switch (target)
        {
            case DictValue dict:
                if (key is DictValue or NamespaceValue or GeneratorValue || key is ListValue { Kind: not SequenceKind.Tuple })
                {
                    return false;
                }

                return dict.TryGet(key, out value);
            case ListValue { IsIndexable: true } list when key is long or bool:
                {
                    long index = Py.ToLong(key);
                    if (index < 0)
                    {
                        index += list.Count;
                    }

                    if (index >= 0 && index < list.Count)
                    {
                        value = list.Items[(int)index];
                        return true;
                    }

                    return false;
                }

            case string s when key is long or bool:
                value = PyString.At(s, Py.ToLong(key));
                return value is not null;
            default:
                return false;
        }
    }

    private object? EvaluateCall(CallExpr call, MacroValue? caller)
    {
        var callee = Evaluate(call.Callee);
        var arguments = EvaluateArguments(call.Arguments);
        if (caller is not null)
        {
            if (callee is not MacroValue macro)
            {
                throw TemplateErrors.Type("a call block can only call a macro");
            }

            return CallMacro(macro, arguments, caller);
        }

        return Call(callee, arguments);
    }

    public object? Call(object? callee, CallArguments arguments) => callee switch
    {
        CallableValue callable => callable.Invoke(this, arguments),
        UndefinedValue undefined => throw undefined.Fail(),
        _ => throw TemplateErrors.Type($"{PyFormat.Repr(Py.TypeName(callee))} object is not callable"),
    };

    private CallArguments EvaluateArguments(CallArgumentsExpr arguments)
    {
        if (arguments.Positional.Count == 0 && arguments.Named.Count == 0 && arguments.StarArgs is null && arguments.StarKwargs is null)
        {
            return CallArguments.Empty;
        }

        var positional = new List<object?>(arguments.Positional.Count);
        foreach (var argument in arguments.Positional)
        {
            positional.Add(Evaluate(argument));
        }

        if (arguments.StarArgs is not null)
        {
            positional.AddRange(Py.Iterate(Evaluate(arguments.StarArgs)));
        }

        var named = new List<KeyValuePair<string, object?>>(arguments.Named.Count);
        foreach (var (name, argument) in arguments.Named)
        {
            named.Add(new(name, Evaluate(argument)));
        }

        if (arguments.StarKwargs is not null)
        {
            var extra = Evaluate(arguments.StarKwargs);
            if (extra is not DictValue dict)
            {
                throw TemplateErrors.Type($"argument after ** must be a mapping, not {Py.TypeName(extra)}");
            }

            foreach (var (key, value) in dict.Items)
            {
                named.Add(new(key as string ?? throw TemplateErrors.Type("keywords must be strings"), value));
            }
        }

        Allocate(positional.Count + named.Count);
        return new CallArguments(positional, named);
    }

    private object? ApplyFilter(FilterExpr filter, object? value)
    {
        var function = filter.Function ?? throw TemplateErrors.Runtime($"No filter named {PyFormat.Repr(filter.Name)} found.");
        return function(this, value, EvaluateArguments(filter.Arguments));
    }

    /// <summary>A filter chain whose innermost filter takes <paramref name="input"/> (a <c>{% filter %}</c> or block-set body).</summary>
    private object? ApplyFilterChain(FilterExpr filter, object? input)
    {
        object? value = filter.Value switch
        {
            null => input,
            FilterExpr inner => ApplyFilterChain(inner, input),
            var other => Evaluate(other),
        };
        return ApplyFilter(filter, value);
    }

    private bool ApplyTest(TestExpr test)
    {
        var value = Evaluate(test.Value);
        var function = test.Function ?? throw TemplateErrors.Runtime($"No test named {PyFormat.Repr(test.Name)} found.");
        return function(this, value, EvaluateArguments(test.Arguments));
    }

    /// <summary>Runs a filter by name, for <c>map('upper')</c>.</summary>
    public object? CallFilter(string name, object? value, CallArguments arguments)
    {
        var function = TemplateFilters.Find(name) ?? throw TemplateErrors.Runtime($"No filter named {PyFormat.Repr(name)}.");
        return function(this, value, arguments);
    }

    /// <summary>Runs a test by name, for <c>select('odd')</c> and <c>selectattr('x', 'equalto', 1)</c>.</summary>
    public bool CallTest(string name, object? value, CallArguments arguments)
    {
        var function = TemplateTests.Find(name) ?? throw TemplateErrors.Runtime($"No test named {PyFormat.Repr(name)}.");
        return function(this, value, arguments);
    }
}
