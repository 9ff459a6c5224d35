"""The paper's designs, each a composition of models, inference and results."""
