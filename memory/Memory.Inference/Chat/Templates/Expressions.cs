namespace Memory.Inference.Chat.Templates;

/// <summary>A filter implementation: the value on the left of <c>|</c> and the filter's arguments.</summary>
internal delegate object? FilterFunction(TemplateRenderer renderer, object? value, CallArguments arguments);

/// <summary>A test implementation: the value on the left of <c>is</c> and the test's arguments.</summary>
internal delegate bool TestFunction(TemplateRenderer renderer, object? value, CallArguments arguments);

/// <summary>An expression node; <see cref="Position"/> is its offset in the (newline-normalised) template source.</summary>
internal abstract record Expr(int Position);

internal sealed record ConstExpr(object? Value, int Position) : Expr(Position);

internal sealed record NameExpr(string Name, int Position) : Expr(Position);

internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Position) : Expr(Position);

internal sealed record TupleExpr(IReadOnlyList<Expr> Items, int Position) : Expr(Position);

internal sealed record DictExpr(IReadOnlyList<KeyValuePair<Expr, Expr>> Items, int Position) : Expr(Position);

/// <summary><c>x.name</c>: attribute first, then item (jinja2's <c>getattr</c>).</summary>
internal sealed record GetAttrExpr(Expr Target, string Attribute, int Position) : Expr(Position);

/// <summary><c>x[key]</c>: item first, then attribute (jinja2's <c>getitem</c>); the key may be a <see cref="SliceExpr"/>.</summary>
internal sealed record GetItemExpr(Expr Target, Expr Key, int Position) : Expr(Position);

/// <summary><c>ns.attr</c> as an assignment target of <c>set</c> (never evaluated).</summary>
internal sealed record NamespaceRefExpr(string Namespace, string Attribute, int Position) : Expr(Position);

internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Position) : Expr(Position);

internal sealed record CallArgumentsExpr(
    IReadOnlyList<Expr> Positional,
    IReadOnlyList<KeyValuePair<string, Expr>> Named,
    Expr? StarArgs,
    Expr? StarKwargs)
{
    public static readonly CallArgumentsExpr Empty = new([], [], null, null);
}

internal sealed record CallExpr(Expr Callee, CallArgumentsExpr Arguments, int Position) : Expr(Position);

/// <summary>
/// <c>value|name(args)</c>. <see cref="Value"/> is null for the innermost filter of a <c>{% filter %}</c> block or a block
/// <c>{% set x | f %}</c>, whose input is the rendered body. <see cref="Function"/> is null for a name jinja2 does not know
/// (allowed inside <c>if</c> and conditional expressions, where jinja2 only fails if it runs).
/// </summary>
internal sealed record FilterExpr(Expr? Value, string Name, FilterFunction? Function, CallArgumentsExpr Arguments, int Position) : Expr(Position);

internal sealed record TestExpr(Expr Value, string Name, TestFunction? Function, CallArgumentsExpr Arguments, int Position) : Expr(Position);

/// <summary><c>-x</c>, <c>+x</c>, <c>not x</c>.</summary>
internal sealed record UnaryExpr(string Operator, Expr Operand, int Position) : Expr(Position);

/// <summary>Arithmetic (<c>+ - * / // % **</c>) and the short-circuit <c>and</c> / <c>or</c>.</summary>
internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right, int Position) : Expr(Position);

/// <summary><c>a ~ b ~ c</c>: Python <c>str()</c> of each, joined.</summary>
internal sealed record ConcatExpr(IReadOnlyList<Expr> Parts, int Position) : Expr(Position);

/// <summary>A comparison chain as in Python: <c>a &lt; b &lt; c</c> is <c>a &lt; b and b &lt; c</c>; operators include <c>in</c> and <c>notin</c>.</summary>
internal sealed record CompareExpr(Expr First, IReadOnlyList<KeyValuePair<string, Expr>> Rest, int Position) : Expr(Position);

/// <summary><c>then if test else otherwise</c>; without <c>else</c> a false test gives an undefined value.</summary>
internal sealed record CondExpr(Expr Test, Expr Then, Expr? Otherwise, int Position) : Expr(Position);
