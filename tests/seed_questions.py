"""Questions the server tests ask about the shipped corpus (one is off it), in one place."""

SEED_QUESTIONS = (
    "What are the two core tungsten mine projects in Kazakhstan?",
    "How much tungsten ore does the mine plan to process in 2025?",
    "How much will the deep processing complex cost?",
    "How much did demand for photovoltaic tungsten filaments grow?",
    "Who won the 1998 football world cup?",
)
