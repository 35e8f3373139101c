namespace Memory.Inference.Chat.Templates;

/// <summary>A statement node of the template body; <see cref="Position"/> is its offset in the template source.</summary>
internal abstract record Node(int Position);

internal sealed record TextNode(string Text, int Position) : Node(Position);

internal sealed record OutputNode(Expr Value, int Position) : Node(Position);

internal sealed record IfNode(IReadOnlyList<KeyValuePair<Expr, IReadOnlyList<Node>>> Branches, IReadOnlyList<Node> Else, int Position) : Node(Position);

internal sealed record ForNode(
    AssignTarget Target,
    Expr Iterable,
    Expr? Filter,
    IReadOnlyList<Node> Body,
    IReadOnlyList<Node> Else,
    bool Recursive,
    int Position) : Node(Position);

internal sealed record SetNode(AssignTarget Target, Expr Value, int Position) : Node(Position);

/// <summary><c>{% set x %}...{% endset %}</c>, optionally <c>{% set x | filter %}</c>.</summary>
internal sealed record SetBlockNode(AssignTarget Target, FilterExpr? Filter, IReadOnlyList<Node> Body, int Position) : Node(Position);

internal sealed record MacroNode(MacroDefinition Macro, int Position) : Node(Position);

/// <summary><c>{% call(args) macro(...) %}body{% endcall %}</c>: the body becomes the macro's <c>caller()</c>.</summary>
internal sealed record CallBlockNode(CallExpr Call, MacroDefinition Caller, int Position) : Node(Position);

internal sealed record FilterBlockNode(FilterExpr Filter, IReadOnlyList<Node> Body, int Position) : Node(Position);

internal sealed record WithNode(IReadOnlyList<KeyValuePair<AssignTarget, Expr>> Assignments, IReadOnlyList<Node> Body, int Position) : Node(Position);

internal sealed record LoopControlNode(bool IsBreak, int Position) : Node(Position);

/// <summary>
/// Hugging Face's <c>{% generation %}...{% endgeneration %}</c> (it marks assistant tokens for training masks); rendered as
/// its body.
/// </summary>
internal sealed record GenerationNode(IReadOnlyList<Node> Body, int Position) : Node(Position);

/// <summary>
/// <c>{% block name [scoped] %}</c>: without inheritance a block renders in place, in a scope of its own that sees the
/// template's top-level variables (and, when <see cref="Scoped"/>, the enclosing loop's).
/// </summary>
internal sealed record BlockNode(string Name, bool Scoped, bool Required, IReadOnlyList<Node> Body, int Position) : Node(Position);

/// <summary>A macro's signature and body; <see cref="Defaults"/> is aligned with <see cref="Parameters"/> (null: required).</summary>
internal sealed record MacroDefinition(
    string Name,
    IReadOnlyList<string> Parameters,
    IReadOnlyList<Expr?> Defaults,
    IReadOnlyList<Node> Body,
    bool CatchVarargs,
    bool CatchKwargs,
    bool CatchCaller,
    int Position);

/// <summary>The left side of <c>set</c>, <c>for</c> and <c>with</c>.</summary>
internal abstract record AssignTarget(int Position);

internal sealed record NameTarget(string Name, int Position) : AssignTarget(Position);

internal sealed record TupleTarget(IReadOnlyList<AssignTarget> Items, int Position) : AssignTarget(Position);

/// <summary><c>{% set ns.attr = ... %}</c> on a <c>namespace()</c> object.</summary>
internal sealed record NamespaceTarget(string Namespace, string Attribute, int Position) : AssignTarget(Position);
