"""The check package has no import cycle: every import statement of its modules, at the top or inside a function,
read with ast (a cycle hidden in a function's import is still a cycle)."""

import ast
import pathlib

import datadog_checks.llm_inference as package

ROOT = pathlib.Path(package.__file__).parent
# The providers' registry imports every module beside it (pkgutil), which no import statement shows.
DISCOVERED_BY = {package.__name__ + '.providers'}


def module_names(root, prefix):
    names = {}
    for path in root.rglob('*.py'):
        parts = path.relative_to(root).with_suffix('').parts
        is_package = parts[-1] == '__init__'
        names['.'.join((prefix,) + (parts[:-1] if is_package else parts))] = (path, is_package)
    return names


def import_graph(root, prefix):
    """module -> the package's modules it imports (`from . import x` imports the module x, where there is one; a
    package's __init__ that Python runs before its modules is not counted, as for any cycle detector)."""
    modules = module_names(root, prefix)
    graph = {}
    for name, (path, is_package) in modules.items():
        package_name = name if is_package else name.rpartition('.')[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ''
                if node.level:
                    parent = package_name.split('.')[: len(package_name.split('.')) - node.level + 1]
                    base = '.'.join(parent + ([base] if base else []))
                named = ['{}.{}'.format(base, alias.name) for alias in node.names]
                # names that are not modules are taken from the module (or package) `base`
                edges.update(m if m in modules else base for m in named)
        if name in DISCOVERED_BY:
            edges.update(m for m in modules if m.rpartition('.')[0] == name)
        graph[name] = {m for m in edges if m in modules and m != name}
    return graph


def cycles(graph):
    """The cycles a depth-first walk meets (each as the list of modules around it), none if there is none."""
    found, state, path = [], {}, []

    def visit(node):
        state[node] = 'open'
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 'open':
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 'done'

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_check_package_has_no_import_cycle():
    graph = import_graph(ROOT, package.__name__)
    assert package.__name__ + '.provider' in graph[package.__name__ + '.providers']  # the graph is read
    assert cycles(graph) == []


def test_a_cycle_through_a_function_import_is_found(tmp_path):
    (tmp_path / 'pkg').mkdir()
    (tmp_path / 'pkg' / '__init__.py').write_text('')
    (tmp_path / 'pkg' / 'a.py').write_text('from .b import thing\n')
    (tmp_path / 'pkg' / 'b.py').write_text('def thing():\n    from . import a\n')
    assert cycles(import_graph(tmp_path / 'pkg', 'pkg')) == [['pkg.a', 'pkg.b', 'pkg.a']]
