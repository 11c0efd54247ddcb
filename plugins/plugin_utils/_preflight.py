# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's filters and playbooks (controller side); not a public API, may change without notice.

The site playbook's preflight and end-of-run summary: the decisions, without Ansible objects.

check_variables() takes a host's variables and the roles' argument specs and returns one short line per problem
(the variable, the value, what is allowed) and one per unknown name that looks like the collection's, with the
closest real name. change_summary() turns registered task results into one line per host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible.module_utils.common.validation import (
    check_type_bool,
    check_type_dict,
    check_type_float,
    check_type_int,
    check_type_list,
    check_type_path,
    check_type_raw,
    check_type_str,
)

# Names the collection's roles and playbooks own. A variable with one of these prefixes that no role and no
# playbook takes is most likely a typo.
PREFIXES = (
    "docker_install_", "docker_daemon_", "docker_storage_", "docker_group_", "kernel_params_", "k8s_node_",
    "dockerops_",
)

# Variables a release renamed: still set, they would be ignored (the default applies), so they are errors.
RENAMED = {
    "docker_install_centos_versionlock": ("docker_install_centos_hold", "0.2.0"),
}

# Variables the playbooks (not the roles) read, and facts the roles set for the playbook.
PLAYBOOK_VARIABLES = frozenset((
    "dockerops_hosts", "dockerops_serial", "dockerops_max_fail_percentage", "dockerops_gather_subset",
    "dockerops_strict_variables", "dockerops_preflight_only", "dockerops_k8s_node",
    "dockerops_audit_dir", "dockerops_audit_fail_on_action",
    "dockerops_prune_images_older_than", "dockerops_prune_containers", "dockerops_prune_builder_cache",
    "dockerops_prune_report",
    # set_fact by docker_storage, read by the site playbook
    "docker_storage_applied_daemon",
    # set_fact by the audit playbook: a host's row, still there when site.yml runs after it in one process
    "dockerops_audit_row",
))

# Roles whose argument specs are internal (set by other roles, not by users): not validated here, and their
# variables are not taken for typos of the users' ones.
INTERNAL_ROLES = frozenset(("docker_install_common",))
_INTERNAL_PREFIXES = tuple(sorted(role + "_" for role in INTERNAL_ROLES))

_CHECKERS = {
    "str": lambda v: check_type_str(v, allow_conversion=True),
    "bool": check_type_bool,
    "int": check_type_int,
    "float": check_type_float,
    "list": check_type_list,
    "dict": check_type_dict,
    "path": check_type_path,
    "raw": check_type_raw,
}

# Values the argument specs declare as plain strings but dockerd reads as numbers or sizes: a wrong one only
# fails when the engine restarts, so it is refused here, before anything changes.
_SEMANTIC = {
    "docker_daemon_log_max_file": (re.compile(r"^[1-9][0-9]*$"), "a positive whole number of files, e.g. \"3\""),
    "docker_daemon_log_max_size": (re.compile(r"^[1-9][0-9]*[kmg]?$"), "a size such as \"10m\" (digits, then k, m or g)"),
}


def _shown(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _type_name(value):
    return {dict: "mapping", list: "list", bool: "boolean", int: "integer", float: "number",
            str: "string"}.get(type(value), type(value).__name__) if value is not None else "null"


def options_from_specs(specs):
    """{role: argument_specs mapping} -> {variable: option spec} over every entry point of the users' roles."""
    options = {}
    for role, spec in sorted(specs.items()):
        if role in INTERNAL_ROLES:
            continue
        for entry in ((spec or {}).get("argument_specs") or {}).values():
            for name, opt in ((entry or {}).get("options") or {}).items():
                options.setdefault(name, opt or {})
    return options


def _plain(value):
    """Lazy Ansible containers as plain dicts and lists, so type checks see what the role will see."""
    if isinstance(value, dict):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def check_value(name, value, opt):
    """Problems with one variable's value against its option spec: a list of short lines."""
    kind = opt.get("type", "str")
    checker = _CHECKERS.get(kind, check_type_raw)
    try:
        converted = checker(value)
    except (TypeError, ValueError):
        return ["%s: %s (%s) is not of type %s" % (name, _shown(value), _type_name(value), kind)]
    if isinstance(converted, str) and kind in ("str", "path") and not isinstance(value, str):
        # Ansible would turn 3 into "3"; a mapping or a list into a string is a mistake, not a conversion.
        if isinstance(value, (dict, list)):
            return ["%s: %s (%s) is not of type %s" % (name, _shown(value), _type_name(value), kind)]
    problems = []
    choices = opt.get("choices")
    if choices and converted not in choices:
        problems.append("%s: %s is not one of %s" % (name, _shown(converted), ", ".join(str(c) for c in choices)))
    if kind == "list" and opt.get("elements"):
        for i, item in enumerate(converted):
            element = {"type": opt["elements"], "choices": opt.get("choices")}
            problems.extend(check_value("%s[%d]" % (name, i), item, element))
    if kind == "dict" and opt.get("options"):
        for key, sub in converted.items():
            if key not in opt["options"]:
                problems.append("%s.%s: not an option (allowed: %s)" % (name, key, ", ".join(sorted(opt["options"]))))
            else:
                problems.extend(check_value("%s.%s" % (name, key), sub, opt["options"][key] or {}))
    if name in _SEMANTIC and isinstance(converted, str):
        pattern, allowed = _SEMANTIC[name]
        if not pattern.match(converted):
            problems.append("%s: %s is not %s" % (name, _shown(converted), allowed))
    return problems


def check_variables(variables, options, strict=False, known=PLAYBOOK_VARIABLES):
    """Checks a host's collection variables.

    variables: {name: value} (any names: only those with the collection's prefixes are looked at).
    options: {name: option spec} from options_from_specs().
    Returns {"errors": [...], "warnings": [...]}: one short line each. Unknown names are warnings, or errors
    when strict.
    """
    errors, unknown = [], []
    real = sorted(set(options) | set(known))
    for name in sorted(variables):
        if not name.startswith(PREFIXES) or name.startswith(_INTERNAL_PREFIXES):
            continue
        if name in RENAMED:
            errors.append("%s was renamed %s in %s: set that instead" % ((name,) + RENAMED[name]))
        elif name in options:
            errors.extend(check_value(name, _plain(variables[name]), options[name]))
        elif name not in known:
            close = difflib.get_close_matches(name, real, n=1, cutoff=0.75)
            hint = ("did you mean `%s`?" % close[0]) if close else "no role or playbook of dockerops.host takes it"
            unknown.append("%s is not a variable of dockerops.host: %s" % (name, hint))
    if strict:
        return {"errors": errors + unknown, "warnings": []}
    return {"errors": errors, "warnings": unknown}


def missing_users(variables, existing_users):
    """Users named for the docker group (or a rootless engine) that the host's user database lacks."""
    if existing_users is None:
        return []
    existing = set(existing_users)
    problems = []
    try:
        create = check_type_bool(_plain(variables.get("docker_group_create_users", False)))
    except TypeError:
        create = False  # reported by check_variables
    for name, created in (("docker_group_users", create), ("docker_group_rootless_users", False)):
        listed = _plain(variables.get(name, []))
        if created or not isinstance(listed, list):
            continue  # a wrong type is reported by check_variables
        gone = [u for u in listed if isinstance(u, str) and u not in existing]
        if gone:
            hint = " (create it first, or set docker_group_create_users: true)" if name == "docker_group_users" else ""
            problems.append("%s: %s does not exist on this host%s" % (name, ", ".join(gone), hint))
    return problems


def _changed(result):
    if not isinstance(result, dict):
        return False
    if result.get("changed") and not result.get("skipped"):
        return True
    return any(_changed(r) for r in result.get("results") or [])


def change_summary(areas):
    """[{"label": str, "results": [registered results]}] -> "label, label" for the areas that changed, or
    "no change". Undefined results (a role that did not run) are passed as {} and count as no change."""
    changed = [a["label"] for a in areas if any(_changed(r) for r in a.get("results") or [])]
    return ", ".join(changed) if changed else "no change"
