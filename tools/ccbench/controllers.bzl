"""The congestion controllers ccbench, its benchmark and its validation tests link (each package
registers its name from a static registrar, so linking it is all it takes)."""

CCBENCH_CONTROLLERS = [
    "//congestion/bbr",
    "//congestion/bbr1",
    "//congestion/cubic",
    "//congestion/newreno",
]
