"""Training the answer selector: examples from suites and generated questions, fitting, folds."""
