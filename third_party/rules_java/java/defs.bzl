"""Offline shim re-exporting Bazel's native Java rules."""
java_import = native.java_import
java_runtime = native.java_runtime
java_toolchain = native.java_toolchain
java_library = native.java_library
java_binary = native.java_binary
java_test = native.java_test
java_plugin = native.java_plugin
