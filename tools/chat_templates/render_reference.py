#!/usr/bin/env python3
"""Renders the chat-template fixtures with Python jinja2 the way Hugging Face transformers does, and writes the
expected outputs the C# renderer is tested against (tests/Memory.Inference.Tests/ChatTemplates/expected.json).

The environment is configured like transformers' chat-template compiler: ImmutableSandboxedEnvironment with
trim_blocks and lstrip_blocks, the loop-controls extension, a {% generation %} tag that renders its body, globals
raise_exception and strftime_now, and a tojson filter that is json.dumps with ensure_ascii=False (no HTML escaping).
Templates are rendered with messages, tools (None unless the conversation has tools), documents (None),
add_generation_prompt and the special tokens, as transformers' apply_chat_template passes them.

strftime_now reads a fixed clock (FIXED_NOW) so that the expected outputs do not change from day to day; the C# tests
give the renderer the same time.

Usage: python3 tools/chat_templates/render_reference.py   (from the repository root; needs jinja2 3.1)
"""

import datetime
import json
import os
import sys

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "Memory.Inference.Tests", "ChatTemplates")
FIXED_NOW = datetime.datetime(2024, 7, 26, 14, 5, 9)


class GenerationBlock(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %}: transformers uses it to mark assistant text; rendering shows the body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render_body"), [], [], body).set_lineno(lineno)

    def _render_body(self, caller):
        return caller()


def template_error(message):
    raise jinja2.exceptions.TemplateError(message)


def to_json(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def fixed_strftime(fmt):
    return FIXED_NOW.strftime(fmt)


def environment():
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = to_json
    env.globals["raise_exception"] = template_error
    env.globals["strftime_now"] = fixed_strftime
    return env


def render(env, source, messages, add_generation_prompt, special_tokens, variables):
    """Compiles and renders once; returns {"output": ...} or {"error": type, "message": ...}."""
    try:
        template = env.from_string(source)
        context = dict(special_tokens)
        context.update(variables)
        context.setdefault("tools", None)
        context.setdefault("documents", None)
        context["messages"] = messages
        context["add_generation_prompt"] = add_generation_prompt
        return {"output": template.render(**context)}
    except Exception as error:  # the C# side checks the kind of failure and jinja2's message
        return {"error": type(error).__name__, "message": str(error)}


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def special_token(config, name):
    token = config.get(name)
    if isinstance(token, dict):
        token = token.get("content")
    return token if isinstance(token, str) else None


def template_sources(manifest):
    """(name, source, special tokens) for each template in the manifest: a .jinja fixture or a tokenizer_config.json."""
    for entry in manifest["templates"]:
        if "file" in entry:
            with open(os.path.join(FIXTURES, entry["file"]), encoding="utf-8") as handle:
                source = handle.read()
            tokens = {k: entry[k] for k in ("bos_token", "eos_token") if entry.get(k) is not None}
            yield entry["file"], source, tokens
        else:
            config = read_json(os.path.join(ROOT, entry["tokenizer_config"]))
            tokens = {k: special_token(config, k) for k in ("bos_token", "eos_token") if special_token(config, k) is not None}
            yield entry["tokenizer_config"], config["chat_template"], tokens


def main():
    if jinja2.__version__ != "3.1.6":
        print(f"warning: jinja2 {jinja2.__version__}; the fixtures were made with 3.1.6", file=sys.stderr)
    env = environment()
    manifest = read_json(os.path.join(FIXTURES, "manifest.json"))
    conversations = read_json(os.path.join(FIXTURES, "conversations.json"))
    snippets = read_json(os.path.join(FIXTURES, "snippets.json"))

    templates = {}
    for name, source, tokens in template_sources(manifest):
        cases = []
        for conversation in conversations:
            for add_generation_prompt in (False, True):
                result = render(env, source, conversation["messages"], add_generation_prompt, tokens, conversation.get("variables", {}))
                result.update({"conversation": conversation["name"], "add_generation_prompt": add_generation_prompt})
                cases.append(result)
        templates[name] = {"special_tokens": tokens, "cases": cases}

    snippet_results = []
    for snippet in snippets:
        result = render(env, snippet["template"], [], False, {}, snippet.get("variables", {}))
        result["name"] = snippet["name"]
        snippet_results.append(result)

    expected = {
        "generator": "tools/chat_templates/render_reference.py",
        "jinja2": jinja2.__version__,
        "now": FIXED_NOW.isoformat(),
        "templates": templates,
        "snippets": snippet_results,
    }
    path = os.path.join(FIXTURES, "expected.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(expected, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    failures = sum(1 for t in templates.values() for c in t["cases"] if "error" in c)
    print(f"wrote {path}: {sum(len(t['cases']) for t in templates.values())} template cases ({failures} errors), {len(snippet_results)} snippets")


if __name__ == "__main__":
    main()
