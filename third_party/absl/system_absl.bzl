"""Maps Debian's Abseil (libabsl-dev, pkg-config) onto the upstream @com_google_absl labels.

A monorepo that builds Abseil from source keeps its own @com_google_absl; kite's BUILD files
name only the upstream labels, so nothing in kite changes.
"""

# Bazel target (package:name) -> pkg-config module.
_TARGETS = {
    "absl/algorithm:algorithm": "absl_algorithm",
    "absl/algorithm:container": "absl_algorithm_container",
    "absl/base:base": "absl_base",
    "absl/base:config": "absl_config",
    "absl/base:core_headers": "absl_core_headers",
    "absl/base:endian": "absl_endian",
    "absl/base:prefetch": "absl_prefetch",
    "absl/cleanup:cleanup": "absl_cleanup",
    "absl/container:btree": "absl_btree",
    "absl/container:fixed_array": "absl_fixed_array",
    "absl/container:flat_hash_map": "absl_flat_hash_map",
    "absl/container:flat_hash_set": "absl_flat_hash_set",
    "absl/container:inlined_vector": "absl_inlined_vector",
    "absl/container:node_hash_map": "absl_node_hash_map",
    "absl/container:node_hash_set": "absl_node_hash_set",
    "absl/debugging:failure_signal_handler": "absl_failure_signal_handler",
    "absl/debugging:stacktrace": "absl_stacktrace",
    "absl/debugging:symbolize": "absl_symbolize",
    "absl/flags:flag": "absl_flags",
    "absl/flags:marshalling": "absl_flags_marshalling",
    "absl/flags:parse": "absl_flags_parse",
    "absl/flags:usage": "absl_flags_usage",
    "absl/functional:any_invocable": "absl_any_invocable",
    "absl/functional:bind_front": "absl_bind_front",
    "absl/functional:function_ref": "absl_function_ref",
    "absl/hash:hash": "absl_hash",
    "absl/memory:memory": "absl_memory",
    "absl/numeric:bits": "absl_bits",
    "absl/numeric:int128": "absl_int128",
    "absl/numeric:representation": "absl_numeric_representation",
    "absl/random:bit_gen_ref": "absl_random_bit_gen_ref",
    "absl/random:distributions": "absl_random_distributions",
    "absl/random:random": "absl_random_random",
    "absl/random:seed_sequences": "absl_random_seed_sequences",
    "absl/status:status": "absl_status",
    "absl/status:statusor": "absl_statusor",
    "absl/strings:cord": "absl_cord",
    "absl/strings:str_format": "absl_str_format",
    "absl/strings:strings": "absl_strings",
    "absl/synchronization:synchronization": "absl_synchronization",
    "absl/time:time": "absl_time",
    "absl/types:optional": "absl_optional",
    "absl/types:span": "absl_span",
    "absl/types:variant": "absl_variant",
    "absl/utility:utility": "absl_utility",
}

def _system_absl_impl(ctx):
    ctx.symlink("/usr/include/absl", "include/absl")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD", "\n".join([
        'package(default_visibility = ["//visibility:public"])',
        "cc_library(",
        '    name = "absl_headers",',
        '    hdrs = glob(["include/absl/**/*.h", "include/absl/**/*.inc"]),',
        '    includes = ["include"],',
        ")",
        "",
    ]))
    packages = {}
    for target, module in _TARGETS.items():
        pkg, name = target.split(":")
        res = ctx.execute(["pkg-config", "--libs", module])
        if res.return_code != 0:
            fail("pkg-config --libs %s failed: %s (install libabsl-dev and pkg-config)" % (module, res.stderr))
        flags = [f for f in res.stdout.strip().split(" ") if f]
        packages.setdefault(pkg, []).append(
            "cc_library(\n    name = %r,\n    linkopts = %r,\n    deps = [\"//:absl_headers\"],\n)\n" % (name, flags),
        )
    for pkg, rules in packages.items():
        ctx.file(pkg + "/BUILD", 'package(default_visibility = ["//visibility:public"])\n\n' + "\n".join(rules))

system_absl = repository_rule(
    implementation = _system_absl_impl,
    environ = ["PKG_CONFIG_PATH"],
    local = True,
)
