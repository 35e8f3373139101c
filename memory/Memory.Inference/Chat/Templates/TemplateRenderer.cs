using System.Runtime.CompilerServices;
using System.Text;

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Renders one <see cref="TemplateDocument"/> once. A renderer is created per <c>Render</c> call and owns all mutable state
/// (output buffers, scopes, namespaces, counters), so one parsed template can be rendered from many threads at once.
/// Enforces <see cref="ChatTemplate.MaxOutputLength"/>, <see cref="ChatTemplate.MaxSteps"/>,
/// <see cref="ChatTemplate.MaxWork"/> and <see cref="ChatTemplate.MaxDepth"/> so that a hostile template can neither hang
/// nor exhaust memory or the stack.
/// </summary>
internal sealed partial class TemplateRenderer
{
    private readonly TemplateDocument _document;
    private StringBuilder _output = new();
    private readonly Scope _root;
    private Scope _scope;
    private long _steps;
    private long _work;
    private int _depth;

    public TemplateRenderer(TemplateDocument document, Scope variables, TimeProvider clock)
    {
        _document = document;
        _root = new Scope(variables);
        _scope = _root;
        Clock = clock;
    }

    public TimeProvider Clock { get; }

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public string Render()
    {
        try
        {
            Execute(_document.Body);
            return _output.ToString();
        }
        catch (InsufficientExecutionStackException)
        {
            throw LimitError("the template recursed too deeply for the stack");
        }
        catch (Exception error) when (error is not (ChatTemplateException or OutOfMemoryException))
        {
            // A renderer bug must not surface as some other exception type from a template a model repository supplied.
            throw new ChatTemplateException($"chat template error: the renderer failed unexpectedly ({error.GetType().Name}: {error.Message})", error);
        }
    }

    /// <summary>Accounts for <paramref name="units"/> characters or items a template operation is about to create.</summary>
    public void Allocate(long units)
    {
        if (units > ChatTemplate.MaxOutputLength)
        {
            throw TemplateErrors.Runtime($"the template tried to build a value of {units} characters or items; the limit is {ChatTemplate.MaxOutputLength} (ChatTemplate.MaxOutputLength)");
        }

        _work += units;
        if (_work > ChatTemplate.MaxWork)
        {
            throw TemplateErrors.Runtime($"the template built more than {ChatTemplate.MaxWork} characters and items in total (ChatTemplate.MaxWork)");
        }
    }

    /// <summary>Refuses a string or list that has grown past <see cref="ChatTemplate.MaxOutputLength"/> while being built piece by piece.</summary>
    public static void CheckLength(long length)
    {
        if (length > ChatTemplate.MaxOutputLength)
        {
            throw TemplateErrors.Runtime($"the template tried to build a value of more than {ChatTemplate.MaxOutputLength} characters or items (ChatTemplate.MaxOutputLength)");
        }
    }

    private void Step()
    {
        if (++_steps > ChatTemplate.MaxSteps)
        {
            throw TemplateErrors.Runtime($"the template ran for more than {ChatTemplate.MaxSteps} steps (ChatTemplate.MaxSteps)");
        }
    }

    private void EnterDepth()
    {
        if (++_depth > ChatTemplate.MaxDepth)
        {
            _depth--;
            throw TemplateErrors.Runtime($"the template nests or recurses deeper than {ChatTemplate.MaxDepth} levels (ChatTemplate.MaxDepth)");
        }

        RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    private static ChatTemplateException LimitError(string message) => new($"chat template error: {message}");

    /// <summary>Adds the line:column of <paramref name="position"/> to an error that does not have one yet.</summary>
    private ChatTemplateException Locate(ChatTemplateException error, int position)
    {
        var (line, column) = TemplateParser.LineColumn(_document.Source, position);
        string message = error.RaisedByTemplate ? error.Message : $"chat template error at {TemplateParser.Where(_document.Source, position)}: {error.Message}";
        return new ChatTemplateException(message, error) { Line = line, Column = column, RaisedByTemplate = error.RaisedByTemplate };
    }

    private void Write(string text)
    {
        if (_output.Length + (long)text.Length > ChatTemplate.MaxOutputLength)
        {
            throw TemplateErrors.Runtime($"the template produced more than {ChatTemplate.MaxOutputLength} characters (ChatTemplate.MaxOutputLength)");
        }

        Allocate(text.Length);
        _output.Append(text);
    }

    private Flow Execute(IReadOnlyList<Node> body)
    {
        foreach (var node in body)
        {
            var flow = ExecuteNode(node);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    private Flow ExecuteNode(Node node)
    {
        Step();
        EnterDepth();
        try
        {
            switch (node)
            {
                case TextNode text:
                    Write(text.Text);
                    return Flow.Normal;
                case OutputNode output:
                    Write(PyFormat.Str(Evaluate(output.Value)));
                    return Flow.Normal;
                case IfNode ifNode:
                    foreach (var (test, branch) in ifNode.Branches)
                    {
                        if (Py.Truthy(Evaluate(test)))
                        {
                            return Execute(branch);
                        }
                    }

                    return Execute(ifNode.Else);
                case ForNode forNode:
                    RunLoop(forNode, Evaluate(forNode.Iterable), 0);
                    return Flow.Normal;
                case SetNode set:
                    Assign(set.Target, Evaluate(set.Value), _scope);
                    return Flow.Normal;
                case SetBlockNode setBlock:
                    {
                        // jinja2 compiles a captured body inline: break/continue inside it leave the loop and drop the capture.
                        object? value = Capture(setBlock.Body, new Scope(_scope), out var flow);
                        if (flow != Flow.Normal)
                        {
                            return flow;
                        }

                        if (setBlock.Filter is not null)
                        {
                            value = ApplyFilterChain(setBlock.Filter, value);
                        }

                        Assign(setBlock.Target, value, _scope);
                        return Flow.Normal;
                    }

                case MacroNode macro:
                    _scope.Set(macro.Macro.Name, new MacroValue(macro.Macro, _scope));
                    return Flow.Normal;
                case CallBlockNode callBlock:
                    Write(PyFormat.Str(EvaluateCall(callBlock.Call, new MacroValue(callBlock.Caller, _scope))));
                    return Flow.Normal;
                case FilterBlockNode filterBlock:
                    {
                        string body = Capture(filterBlock.Body, new Scope(_scope), out var flow);
                        if (flow != Flow.Normal)
                        {
                            return flow;
                        }

                        Write(PyFormat.Str(ApplyFilterChain(filterBlock.Filter, body)));
                        return Flow.Normal;
                    }
                case WithNode with:
                    {
                        var scope = new Scope(_scope);
                        foreach (var (target, value) in with.Assignments)
                        {
                            Assign(target, Evaluate(value), scope);
                        }

                        return RunIn(scope, with.Body);
                    }

                case LoopControlNode control:
                    return control.IsBreak ? Flow.Break : Flow.Continue;
                case BlockNode block:
                    if (block.Required)
                    {
                        throw TemplateErrors.Runtime($"Required block {PyFormat.Repr(block.Name)} not found");
                    }

                    RunIn(new Scope(block.Scoped ? _scope : _root), block.Body);
                    return Flow.Normal;
                case GenerationNode generation:
                    return RunIn(new Scope(_scope), generation.Body);
                default:
                    throw new InvalidOperationException($"unknown node {node.GetType().Name}");
            }
        }
        catch (ChatTemplateException error) when (error.Line is null)
        {
            throw Locate(error, node.Position);
        }
        finally
        {
            _depth--;
        }
    }

    private Flow RunIn(Scope scope, IReadOnlyList<Node> body)
    {
        var outer = _scope;
        _scope = scope;
        try
        {
            return Execute(body);
        }
        finally
        {
            _scope = outer;
        }
    }

    /// <summary>Renders <paramref name="body"/> into a string of its own, in <paramref name="scope"/>; <paramref name="flow"/> reports a break or continue inside it.</summary>
    private string Capture(IReadOnlyList<Node> body, Scope scope, out Flow flow)
    {
        var outerOutput = _output;
        _output = new StringBuilder();
        try
        {
            flow = RunIn(scope, body);
            return _output.ToString();
        }
        finally
        {
            _output = outerOutput;
        }
    }

    private void RunLoop(ForNode node, object? iterable, int depth0)
    {
        var outer = _scope;
        var items = new List<object?>();
        foreach (var item in Py.Iterate(iterable))
        {
            Step();
            if (node.Filter is not null)
            {
                var test = new Scope(outer);
                Assign(node.Target, item, test);
                _scope = test;
                try
                {
                    if (!Py.Truthy(Evaluate(node.Filter)))
                    {
                        continue;
                    }
                }
                finally
                {
                    _scope = outer;
                }
            }

            items.Add(item);
        }

        Allocate(items.Count);

        Func<TemplateRenderer, object?, object?>? recurse = node.Recursive
            ? (renderer, children) => renderer.Capture(node, children, depth0 + 1)
            : null;
        // jinja2 clears its "no iteration" flag at the end of the body, so an iteration cut short by break or continue
        // does not count: the else block runs when no iteration ran to the end (usually: when there were no items).
        bool completed = false;
        var loop = new LoopContext(items, depth0, recurse);
        for (int i = 0; i < items.Count; i++)
        {
            Step();
            var scope = new Scope(outer);
            Assign(node.Target, items[i], scope);
            loop.Index0 = i;
            scope.Set("loop", loop);
            var flow = RunIn(scope, node.Body);
            if (flow == Flow.Break)
            {
                break;
            }

            completed |= flow == Flow.Normal;
        }

        if (!completed && node.Else.Count > 0)
        {
            RunIn(new Scope(outer), node.Else);
        }
    }

    /// <summary><c>loop(children)</c> in a recursive loop: the loop body rendered for the children, as a string.</summary>
    private string Capture(ForNode node, object? children, int depth0)
    {
        EnterDepth();
        var outerOutput = _output;
        _output = new StringBuilder();
        try
        {
            RunLoop(node, children, depth0);
            return _output.ToString();
        }
        finally
        {
            _output = outerOutput;
            _depth--;
        }
    }

    private void Assign(AssignTarget target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameTarget name:
                scope.Set(name.Name, value);
                break;
            case NamespaceTarget ns:
                if (!_scope.TryLookup(ns.Namespace, out var holder) || holder is not NamespaceValue namespaceValue)
                {
                    throw TemplateErrors.Runtime("cannot assign attribute on non-namespace object");
                }

                namespaceValue.Set(ns.Attribute, value);
                break;
            case TupleTarget tuple:
                {
                    if (value is not (ListValue or DictValue or string or GeneratorValue or UndefinedValue))
                    {
                        throw TemplateErrors.Type($"cannot unpack non-iterable {Py.TypeName(value)} object");
                    }

                    var items = Py.Iterate(value).ToList();
                    if (items.Count > tuple.Items.Count)
                    {
                        throw TemplateErrors.Value($"too many values to unpack (expected {tuple.Items.Count})");
                    }

                    if (items.Count < tuple.Items.Count)
                    {
                        throw TemplateErrors.Value($"not enough values to unpack (expected {tuple.Items.Count}, got {items.Count})");
                    }

                    for (int i = 0; i < items.Count; i++)
                    {
                        Assign(tuple.Items[i], items[i], scope);
                    }

                    break;
                }
        }
    }

    /// <summary>
    /// Calls a macro, binding arguments as jinja2's <c>Macro.__call__</c> does: positionals first, then keywords for the
    /// remaining parameters; leftover keywords go to <c>kwargs</c> (if the body uses it) or are an error, as are extra
    /// positionals without <c>varargs</c>. Defaults are evaluated inside the macro, after earlier parameters are bound.
    /// <paramref name="caller"/> is the body of a <c>{% call %}</c> block.
    /// </summary>
    public object? CallMacro(MacroValue macro, CallArguments arguments, MacroValue? caller)
    {
        var definition = macro.Definition;
        int count = definition.Parameters.Count;
        var bound = new object?[count];
        var present = new bool[count];
        for (int i = 0; i < Math.Min(count, arguments.Positional.Count); i++)
        {
            bound[i] = arguments.Positional[i];
            present[i] = true;
        }

        var keywords = new List<KeyValuePair<string, object?>>(arguments.Named);
        if (caller is not null)
        {
            keywords.Add(new("caller", caller));
        }

        for (int i = arguments.Positional.Count; i < count; i++)
        {
            int at = keywords.FindIndex(k => k.Key == definition.Parameters[i]);
            if (at >= 0)
            {
                bound[i] = keywords[at].Value;
                present[i] = true;
                keywords.RemoveAt(at);
            }
        }

        object? callerValue = null;
        if (definition.CatchCaller)
        {
            int at = keywords.FindIndex(k => k.Key == "caller");
            callerValue = at >= 0 ? keywords[at].Value : UndefinedValue.WithHint("No caller defined");
            if (at >= 0)
            {
                keywords.RemoveAt(at);
            }
        }

        var extraKeywords = new DictValue();
        if (definition.CatchKwargs)
        {
            foreach (var (name, value) in keywords)
            {
                extraKeywords.Set(name, value);
            }
        }
        else if (keywords.Count > 0)
        {
            throw keywords.Any(k => k.Key == "caller")
                ? TemplateErrors.Type($"macro {PyFormat.Repr(definition.Name)} was invoked with two values for the special caller argument. This is most likely a bug.")
                : TemplateErrors.Type($"macro {PyFormat.Repr(definition.Name)} takes no keyword argument {PyFormat.Repr(keywords[0].Key)}");
        }

        if (!definition.CatchVarargs && arguments.Positional.Count > count)
        {
            throw TemplateErrors.Type($"macro {PyFormat.Repr(definition.Name)} takes not more than {count} argument(s)");
        }

        var scope = new Scope(macro.Closure);
        var outerScope = _scope;
        var outerOutput = _output;
        EnterDepth();
        _scope = scope;
        _output = new StringBuilder();
        try
        {
            for (int i = 0; i < count; i++)
            {
                object? value = present[i] ? bound[i]
                    : definition.Defaults[i] is Expr fallback ? Evaluate(fallback)
                    : UndefinedValue.WithHint($"parameter {PyFormat.Repr(definition.Parameters[i])} was not provided");
                scope.Set(definition.Parameters[i], value);
            }

            if (definition.CatchVarargs)
            {
                scope.Set("varargs", new ListValue(arguments.Positional.Skip(count).ToArray(), SequenceKind.Tuple));
            }

            if (definition.CatchKwargs)
            {
                scope.Set("kwargs", extraKeywords);
            }

            if (definition.CatchCaller)
            {
                scope.Set("caller", callerValue);
            }

            Execute(definition.Body);
            return _output.ToString();
        }
        finally
        {
            _scope = outerScope;
            _output = outerOutput;
            _depth--;
        }
    }
}
