"""Runs a test binary built with --//congestion:extra_controllers set, so one `bazel test //...`
checks the flag that links a researcher's controller package into kite's tools."""

def _set_extra_controllers(settings, attr):
    return {"//congestion:extra_controllers": attr.extra_controllers}

_extra_controllers_transition = transition(
    implementation = _set_extra_controllers,
    inputs = [],
    outputs = ["//congestion:extra_controllers"],
)

def _extra_controllers_test_impl(ctx):
    inner = ctx.attr.test[0][DefaultInfo]
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(
        output = out,
        target_file = inner.files_to_run.executable,
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = [out]).merge(inner.default_runfiles)
    return [DefaultInfo(executable = out, runfiles = runfiles)]

extra_controllers_test = rule(
    implementation = _extra_controllers_test_impl,
    test = True,
    attrs = {
        # A statically linked cc_test, built here in the configuration the flag sets.
        "test": attr.label(
            cfg = _extra_controllers_transition,
            executable = True,
            mandatory = True,
        ),
        # The label --//congestion:extra_controllers takes while building `test`.
        "extra_controllers": attr.string(mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
