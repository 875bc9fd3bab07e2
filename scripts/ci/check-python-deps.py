"""Fails when a tracked Python file imports a third-party module that scripts/setup.sh does not
install: a fresh machine has only what setup installs (Debian packages named python3-<module>).
A script meant for other machines (a cross-check against `transformers`, which Debian does not
package) names the modules it needs there in a module-level OPTIONAL_IMPORTS tuple, and must say
so itself when they are missing; nothing in `npm test` runs it."""
import ast
import os
import re
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
files = subprocess.run(['git', 'ls-files', '*.py'], cwd=root, capture_output=True, text=True, check=True).stdout.split()
files = [f for f in files if os.path.exists(os.path.join(root, f))]
local = {os.path.splitext(os.path.basename(f))[0] for f in files}
setup = open(os.path.join(root, 'scripts', 'setup.sh'), encoding='utf-8').read()
m = re.search(r'apt_pkgs=\(([^)]*)\)', setup)
installed = set(m.group(1).split()) if m else set()
# Debian names a few packages differently from the module they provide.
DEBIAN_NAME = {'yaml': 'python3-yaml', 'PIL': 'python3-pil', 'sklearn': 'python3-sklearn'}
missing = {}
for f in files:
    try:
        tree = ast.parse(open(os.path.join(root, f), encoding='utf-8').read())
    except SyntaxError as e:
        print(f'check-python-deps: {f}: {e}', file=sys.stderr)
        sys.exit(1)
    optional = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == 'OPTIONAL_IMPORTS' for t in node.targets):
            optional = {e.value for e in getattr(node.value, 'elts', []) if isinstance(e, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods = [node.module]
        else:
            continue
        for mod in mods:
            top = mod.split('.')[0]
            if top in sys.stdlib_module_names or top in local or top in optional:
                continue
            pkg = DEBIAN_NAME.get(top, f'python3-{top}')
            if pkg not in installed:
                missing.setdefault(pkg, []).append(f)
if missing:
    for pkg, fs in sorted(missing.items()):
        print(f'check-python-deps: {pkg} is imported by {", ".join(sorted(set(fs)))} but scripts/setup.sh does not install it', file=sys.stderr)
    sys.exit(1)
print(f'check-python-deps: {len(files)} Python files, every third-party import is installed by scripts/setup.sh')
