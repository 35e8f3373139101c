#!/usr/bin/env python3
"""Gathers the demo model's training corpus from Debian packages installed on this machine.

Every source is an openly licensed Debian package (section main); `manifest.json` records the package,
its installed version and the license read from its copyright file. Documents are split into train and
validation by a hash of their id, so the split is stable across runs and machines.

    apt-get install -y dict-gcide dict-foldoc dict-devil dict-vera jargon-text \
        debian-reference-en debian-handbook fortunes-min fortunes
    python3 tools/corpus/prepare.py --out corpus/      # writes train.txt, valid.txt, manifest.json
    xz -T2 -9 corpus/train.txt corpus/valid.txt       # what travels to the GPU machine
"""
import argparse, gzip, hashlib, html, html.parser, json, os, re, subprocess, sys

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
DOC_SEP = "\n\n\x1e\n\n"  # record separator between documents; the trainer splits on it


def b64num(s):
    n = 0
    for ch in s:
        n = n * 64 + B64.index(ch)
    return n


def dictd_entries(name):
    """Yields (headword, text) of a dictd database, once per distinct entry."""
    with gzip.open(f"/usr/share/dictd/{name}.dict.dz", "rb") as f:
        data = f.read()
    seen = set()
    with open(f"/usr/share/dictd/{name}.index", encoding="utf-8", errors="replace") as idx:
        for line in idx:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[0].startswith("00-database") or parts[0].startswith("00database"):
                continue
            off, ln = b64num(parts[1]), b64num(parts[2])
            if off in seen:
                continue
            seen.add(off)
            yield parts[0], data[off:off + ln].decode("utf-8", errors="replace")


def clean_dict_text(text):
    text = re.sub(r"\{([^{}]*)\}", r"\1", text)        # FOLDOC/GCIDE cross-reference braces
    text = re.sub(r"\\([a-z]+)\\", r"\1", text)         # GCIDE pronunciation markup
    paras = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paras if p)


class _TextOfHtml(html.parser.HTMLParser):
    SKIP = {"script", "style", "head", "nav"}
    BLOCK = {"p", "div", "li", "pre", "h1", "h2", "h3", "h4", "h5", "tr", "dt", "dd", "table", "br", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        elif tag in self.BLOCK:
            self.out.append("\n\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_text(path):
    p = _TextOfHtml()
    with open(path, encoding="utf-8", errors="replace") as f:
        p.feed(f.read())
    paras = [re.sub(r"[ \t\r\f\v]+", " ", x).strip() for x in "".join(p.out).split("\n\n")]
    return "\n\n".join(x for x in paras if len(x) > 1)


def fortune_docs(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for i, chunk in enumerate(f.read().split("\n%\n")):
            chunk = chunk.strip()
            if chunk:
                yield f"{os.path.basename(path)}:{i}", chunk


# Licenses as read (by a person) from each package's /usr/share/doc/PKG/copyright; the manifest repeats them
# with the installed version so a later reader can check them against the same file.
LICENSES = {
    "dict-gcide": "GPL-2+ (GCIDE, from Webster's 1913 and WordNet)",
    "dict-foldoc": "GFDL-1.1+ (no invariant sections)",
    "dict-devil": "public domain (Ambrose Bierce, The Devil's Dictionary)",
    "dict-vera": "GFDL-1.1+ (no invariant sections)",
    "jargon-text": "public domain (The Jargon File 4.4.7)",
    "debian-reference-en": "GPL-2+",
    "debian-handbook": "GPL-2+ or CC-BY-SA-3.0",
    "fortunes-min": "BSD-4-clause-UC (fortune collections as distributed by Debian)",
    "fortunes": "BSD-4-clause-UC (fortune collections as distributed by Debian)",
}


def package_info(pkg):
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True).stdout.strip()
    if not version:
        sys.exit(f"package {pkg} is not installed: apt-get install -y {pkg}")
    copyright_path = f"/usr/share/doc/{pkg}/copyright"
    with open(copyright_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return {"package": pkg, "version": version, "license": LICENSES[pkg], "copyright": copyright_path,
            "copyright_sha256": digest}


# Packages and what each contributes. Only Debian main (DFSG-free) packages; the fortune files taken are
# the BSD-licensed collections of fortunes/fortunes-min, without the offensive set (fortunes-off).
SOURCES = {
    "dict-gcide": lambda: ((f"gcide:{h}", clean_dict_text(t)) for h, t in dictd_entries("gcide")),
    "dict-foldoc": lambda: ((f"foldoc:{h}", clean_dict_text(t)) for h, t in dictd_entries("foldoc")),
    "dict-devil": lambda: ((f"devil:{h}", clean_dict_text(t)) for h, t in dictd_entries("devil")),
    "dict-vera": lambda: ((f"vera:{h}", clean_dict_text(t)) for h, t in dictd_entries("vera")),
    "jargon-text": lambda: jargon_docs(),
    "debian-reference-en": lambda: ((f"debref:{n}", html_text(os.path.join("/usr/share/debian-reference", n)))
                                    for n in sorted(os.listdir("/usr/share/debian-reference")) if n.endswith(".en.html")),
    "debian-handbook": lambda: ((f"handbook:{n}", html_text(os.path.join("/usr/share/doc/debian-handbook/html/en-US", n)))
                                for n in sorted(os.listdir("/usr/share/doc/debian-handbook/html/en-US")) if n.endswith(".html")),
    "fortunes-min": lambda: (d for n in ["fortunes", "literature", "riddles"]
                             for d in fortune_docs(f"/usr/share/games/fortunes/{n}")),
    "fortunes": lambda: (d for n in ["computers", "education", "food", "humorists", "law", "linuxcookie", "love",
                                     "magic", "medicine", "men-women", "miscellaneous", "news", "people", "pets",
                                     "platitudes", "politics", "science", "songs-poems", "sports", "startrek", "wisdom", "work"]
                         if os.path.exists(f"/usr/share/games/fortunes/{n}")
                         for d in fortune_docs(f"/usr/share/games/fortunes/{n}")),
}


def jargon_docs():
    with gzip.open("/usr/share/doc/jargon-text/jargon.txt.gz", "rt", encoding="utf-8", errors="replace") as f:
        text = f.read()
    # Entries start with an indented ":headword:"; group entries into documents of ~40 entries.
    entries = re.split(r"\n(?= *:[^:\n]+:)", text)
    for i in range(0, len(entries), 40):
        yield f"jargon:{i}", clean_dict_text("\n\n".join(entries[i:i + 40]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="corpus")
    ap.add_argument("--valid-permille", type=int, default=20, help="share of documents held out, per thousand")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    manifest = {"sources": [], "valid_permille": args.valid_permille, "split": "sha256(doc id) mod 1000 < valid_permille"}
    counts = {}
    with open(os.path.join(args.out, "train.txt"), "w", encoding="utf-8") as tr, \
         open(os.path.join(args.out, "valid.txt"), "w", encoding="utf-8") as va:
        for pkg, docs in SOURCES.items():
            info = package_info(pkg)
            n = chars = 0
            for doc_id, text in docs():
                if len(text) < 40:
                    continue
                bucket = int(hashlib.sha256(doc_id.encode()).hexdigest(), 16) % 1000
                (va if bucket < args.valid_permille else tr).write(text + DOC_SEP)
                n += 1
                chars += len(text)
            info.update(documents=n, characters=chars)
            manifest["sources"].append(info)
            print(f"{pkg:22s} {info['version']:24s} {n:8d} docs {chars / 1e6:8.2f} M chars  {info['license']}")
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    main()
