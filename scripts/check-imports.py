#!/usr/bin/env python3
"""Every module a target imports is named in its dependencies in Package.swift.

SwiftPM's --explicit-target-dependency-import-check (which scripts/test.sh uses under CI) accepts a module that is
only a dependency of a dependency; this check does not: a target declares what it imports itself, so that the layers
in README "Architecture" are what Package.swift says. Platform and toolchain modules are exempt.
Exit status 1 and one line per problem when something is missing.
"""
import glob
import os
import re
import sys

PLATFORM = {"Foundation", "FoundationEssentials", "Glibc", "Musl", "Darwin", "Android", "WinSDK", "Synchronization",
            "Testing", "XCTest", "Dispatch", "_Concurrency", "PackageDescription"}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
package = open(os.path.join(root, "Package.swift"), encoding="utf-8").read()
problems = []


def declarations(text):
    """(name, text of the call) for each .target/.executableTarget/.testTarget call, parentheses balanced."""
    for start in re.finditer(r"\.(?:target|executableTarget|testTarget)\(", text):
        depth, index = 0, start.end() - 1
        while True:
            depth += {"(": 1, ")": -1}.get(text[index], 0)
            if depth == 0:
                break
            index += 1
        call = text[start.end():index]
        yield re.search(r'name:\s*"(\w+)"', call).group(1), call


for name, body in declarations(package):
    # Only what `dependencies: [...]` lists (not a `path:` or `exclude:` string of the same call).
    listed = re.search(r"dependencies:\s*\[(.*?)\]\s*(?:,|$)", body, re.S)
    listed = listed.group(1) if listed else ""
    # Target names are the list's plain string elements; products are `.product(name: "...")`.
    declared = set(re.findall(r'(?:^|,)\s*"(\w+)"', listed))
    declared |= set(re.findall(r'\.product\(name:\s*"(\w+)"', listed))
    folder = next((os.path.join(root, top, name) for top in ("Sources", "Tests")
                   if os.path.isdir(os.path.join(root, top, name))), None)
    if folder is None:
        problems.append(f"{name}: no Sources/{name} or Tests/{name}")
        continue
    for path in sorted(glob.glob(os.path.join(folder, "**", "*.swift"), recursive=True)):
        for number, line in enumerate(open(path, encoding="utf-8"), 1):
            # Imports head a file (possibly inside #if blocks); stop at its first declaration, so that text in a
            # string literal further down (a Python snippet's `import json`) is not read as one.
            modifiers = r"(?:(?:@testable|@preconcurrency|@_implementationOnly|@_exported|public|package|internal|private|fileprivate)\s+)*"
            if line.strip() and not re.match(r"\s*(//|#if|#elseif|#else|#endif|" + modifiers + r"import\s)", line):
                break
            imported = re.match(
                r"\s*" + modifiers + r"import\s+(?:(?:struct|enum|class|protocol|func|var|let|typealias)\s+)?(\w+)", line)
            if imported and imported.group(1) not in declared | PLATFORM | {name}:
                problems.append(f"{os.path.relpath(path, root)}:{number}: {name} imports {imported.group(1)}, "
                                "which Package.swift does not list among its dependencies")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
