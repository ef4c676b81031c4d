#!/usr/bin/python3
"""schema-validate.py - check job files against the job-file JSON Schema.

    schema-validate.py SCHEMA FILE...        validate each FILE
    schema-validate.py --check-schema SCHEMA check SCHEMA itself against
                                             the draft 2020-12 metaschema
    schema-validate.py --keys SCHEMA KEYS    compare the keys and the words
                                             SCHEMA allows with the tables
                                             of the loader, as `runjob help
                                             --keys` prints them in KEYS

Prints one "FILE: PATH: message" line per error. Exits 0 when everything
is valid, 1 when something is not, 2 on a usage error. Run it with
Debian's /usr/bin/python3 (packages python3-jsonschema, python3-yaml).

YAML is read as an editor would hand it to a schema: dates stay text
(a JSON document has no date type) and mapping keys are text.
"""
import json
import re
import sys

import jsonschema
import yaml
from jsonschema.exceptions import best_match


class Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp type and with text keys only."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag != 'tag:yaml.org,2002:timestamp']
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def construct_mapping(loader, node):
    loader.flatten_mapping(node)
    out = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool):
            # As written: runjob reads a key as text, so on: is "on",
            # where YAML 1.1 would make it true.
            key = key_node.value
        elif key is None:
            key = ''
        out[str(key)] = loader.construct_object(value_node, deep=True)
    return out


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                       construct_mapping)


def where(error):
    path = '$'
    for part in error.absolute_path:
        path += '[%d]' % part if isinstance(part, int) else '.' + str(part)
    return path


def short(text, limit=160):
    text = ' '.join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + '...'


def message(error):
    """The error's message, without a long copy of the value in front."""
    text, value = error.message, repr(error.instance)
    if len(value) > 40 and text.startswith(value):
        text = 'the value' + text[len(value):]
    return short(text)


def likeliest(errors):
    """Of the errors of the branches of a oneOf/anyOf, the likeliest
    cause: one from a branch written for the value's type, if any."""
    wrong_type = {e.relative_schema_path[0] for e in errors
                  if e.validator == 'type' and not e.relative_path}
    fitting = [e for e in errors
               if e.relative_schema_path[0] not in wrong_type]
    return best_match(fitting or errors)


def describe(error):
    """The message, with the likeliest cause when no branch of a
    oneOf/anyOf fits."""
    text, cause = message(error), error
    while cause.context:
        cause = likeliest(cause.context)
    if cause is not error:
        text += ' (%s: %s)' % (where(cause), message(cause))
    return text


# Where each key table of the loader is described in the schema.
TABLES = {
    'job': '#',
    'step': '#/$defs/step',
    'rollback': '#/$defs/rollback',
    'param': '#/$defs/param',
    'retry': '#/$defs/retry',
    'window': '#/$defs/window',
    'blackout': '#/$defs/blackout',
    'approve': '#/$defs/approve',
    'notify': '#/$defs/notify',
}
# Where each list of allowed words of the loader is the schema's enum.
ENUMS = {
    'on_failure': '#/properties/on_failure',
    'on_unknown': '#/$defs/step/properties/on_unknown',
    'on': '#/$defs/notifyEvent',
}


def resolve(schema, pointer):
    node = schema
    for part in pointer.lstrip('#').split('/'):
        if part:
            node = node[part]
    return node


def mapping_keys(schema, pointer):
    """The keys of the mapping the schema describes at pointer: its
    properties, following $ref and the branches of anyOf/oneOf."""
    todo = [resolve(schema, pointer)]
    while todo:
        node = todo.pop(0)
        if 'properties' in node:
            return set(node['properties'])
        if '$ref' in node:
            todo.append(resolve(schema, node['$ref']))
        todo.extend(node.get('anyOf', []) + node.get('oneOf', []))
    return None


def loader_tables(keys):
    """The key tables of the loader, the built-in actions' included, and
    its words, from the lines of `runjob help --keys`."""
    tables, words = {}, {}
    with open(keys, encoding='utf-8') as f:
        for line in f:
            field = line.split()
            if len(field) == 2 and field[0] in TABLES:
                tables.setdefault(field[0], set()).add(field[1])
            elif len(field) == 3 and field[0] == 'builtin':
                tables.setdefault(field[1], set()).add(field[2])
            elif len(field) == 3 and field[0] == 'word':
                words.setdefault(field[1], set()).add(field[2])
    return tables, words


def compare_keys(schema_path, keys):
    with open(schema_path, encoding='utf-8') as f:
        schema = json.load(f)
    tables, words = loader_tables(keys)
    wanted = dict(TABLES)
    for name in tables:
        if '.' in name:
            wanted[name] = '#/$defs/' + name
    bad = 0
    if len(wanted) == len(TABLES):
        print('%s: no built-in actions found' % keys)
        bad = 1
    for name, pointer in sorted(wanted.items()):
        allowed = mapping_keys(schema, pointer)
        if name not in tables:
            print('%s: no key table %s' % (keys, name))
            bad = 1
        elif allowed is None:
            print('%s: %s describes no mapping' % (schema_path, pointer))
            bad = 1
        else:
            for key in sorted(tables[name] - allowed):
                print('%s: %s: the loader (%s) takes %r, the schema does not'
                      % (schema_path, pointer, name, key))
                bad = 1
            for key in sorted(allowed - tables[name]):
                print('%s: %s: the schema takes %r, the loader (%s) does not'
                      % (schema_path, pointer, key, name))
                bad = 1
    for name, pointer in sorted(ENUMS.items()):
        allowed = set(resolve(schema, pointer).get('enum', []))
        if allowed != words.get(name):
            print('%s: %s: enum %s, but the loader (%s) takes %s'
                  % (schema_path, pointer, sorted(allowed), name,
                     sorted(words.get(name, []))))
            bad = 1
    return bad


def main(argv):
    if len(argv) == 3 and argv[0] == '--keys':
        return compare_keys(argv[1], argv[2])
    if len(argv) == 2 and argv[0] == '--check-schema':
        with open(argv[1], encoding='utf-8') as f:
            schema = json.load(f)
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            print('%s: %s: %s' % (argv[1], where(e), message(e)))
            return 1
        return 0
    if len(argv) < 2 or argv[0].startswith('-'):
        sys.stderr.write(__doc__.split('\n\n')[1] + '\n')
        return 2

    with open(argv[0], encoding='utf-8') as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in argv[1:]:
        try:
            with open(path, encoding='utf-8') as f:
                doc = yaml.load(f, Loader=Loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
            print('%s: %s' % (path, short(e, 300)))
            bad = 1
            continue
        errors = sorted(validator.iter_errors(doc),
                        key=lambda e: [str(p) for p in e.absolute_path])
        for error in errors:
            print('%s: %s: %s' % (path, where(error), describe(error)))
            bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
