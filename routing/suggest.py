def suggest_keywords(*a, **k): raise NotImplementedError
