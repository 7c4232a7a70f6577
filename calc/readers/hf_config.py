"""Hugging Face model configurations (the config.json every model on the hub ships) -> spec data.

A configuration fixes an architecture without its weights: `model_type` names the family, the one
class in `architectures` the model built from it (LlamaForCausalLM has an LM head, LlamaModel none),
and the family's keys its sizes. Each supported family becomes the spec a person would write for
it: named blocks repeated `num_hidden_layers` times, layers named as transformers names its modules
(`layers_1/self_attn` is model.layers.0.self_attn), every layer one of layercalc's rules: the Keras
ones where a Keras layer has the module's figures, the hugging_face family (calc/rules/hugging_face.py)
where none has. No figure is computed here.

Keys that change no parameter count (dropouts, token ids, rope_theta, rope_scaling of any type,
sliding windows, soft-capping) are read by no one; an unsupported model_type, architecture class or
a value of a key that would change the counts in a way no rule models is refused, naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..errors import Location, SpecError, closest, describe
from ..spec.build import MAX_LAYERS

# Hugging Face's activation names (transformers.activations.ACT2FN) -> the Keras activation with the
# same figures (gelu_new and gelu_pytorch_tanh are GELU's tanh approximation: one op per element too).
ACTIVATIONS = {"silu": "silu", "swish": "silu", "gelu": "gelu", "gelu_new": "gelu", "gelu_pytorch_tanh": "gelu",
               "gelu_fast": "gelu", "quick_gelu": "gelu", "relu": "relu", "tanh": "tanh"}


@dataclass(frozen=True)
class HFModel:
    spec: Dict[str, Any]  # plain spec data: what a YAML spec parses to
    origin: str  # where it came from, for the header of a converted spec


def is_hf_config(data: Any) -> bool:
    """A Hugging Face configuration rather than a layercalc spec written as JSON or a Keras model."""
    return (isinstance(data, dict) and ("model_type" in data or "architectures" in data)
            and "layers" not in data and "class_name" not in data)


# Families whose transformers 5.24 configuration class refuses a hidden_size that is not a multiple of
# num_attention_heads even when head_dim is given (LlamaConfig, Gemma2Config: validate_architecture).
WHOLE_HEADS = ("llama", "gemma2")

# What transformers 5.24's configuration class of a family gives a key that config.json leaves out, where that
# is not the value derived from the others (tests/data/hf/configs/*_default*.json).
LEFT_OUT = {"mistral": {"num_key_value_heads": 8}, "mixtral": {"num_key_value_heads": 8},
            "qwen2": {"num_key_value_heads": 32}, "qwen2_moe": {"num_key_value_heads": 16},
            "gemma": {"num_key_value_heads": 16, "head_dim": 256},
            "gemma2": {"num_key_value_heads": 4, "head_dim": 256}}


class Config:
    """A config.json's values, read with the checks and the messages (at the key's line:col) a user needs."""

    def __init__(self, data: Dict[str, Any], text: str, path: str):
        self.data, self.text, self.path = data, text, path

    def where(self, key: Optional[str] = None) -> Location:
        """The line and column of `"key":` in the file (its first occurrence), else of the file's start."""
        offset = self.text.find(f'"{key}"') if key else -1
        if offset < 0:
            return Location(self.path, 1, 1)
        line = self.text.count("\n", 0, offset) + 1
        return Location(self.path, line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1)

    def refuse(self, key: Optional[str], message: str) -> SpecError:
        return SpecError(message, location=self.where(key))

    def size(self, key: str, default: Any = None) -> int:
        """A positive integer; `default` when the key is absent (or null) and a default exists."""
        value = self.data.get(key)
        if value is None:
            if default is None:
                raise self.refuse(None, f"'{key}' is missing: the {self.data.get('model_type')} configuration needs "
                                        "it to size the model")
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.refuse(key, f"'{key}' must be a positive integer, found {describe(value)}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.refuse(key, f"'{key}' must be true or false, found {describe(value)}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.refuse(key, f"'{key}' must be a number, found {describe(value)}")
        return value

    def activation(self, *keys: str) -> str:
        """The Keras activation of the first of `keys` the configuration gives."""
        key = next((key for key in keys if self.data.get(key) is not None), keys[0])
        name = self.data.get(key, "gelu")
        if name not in ACTIVATIONS:
            raise self.refuse(key, f"'{key}' {describe(name)} is not an activation layercalc knows; known: "
                                   f"{', '.join(ACTIVATIONS)}{closest(str(name), list(ACTIVATIONS))}")
        return ACTIVATIONS[name]

    def only(self, key: str, allowed: Tuple[Any, ...], why: str) -> None:
        """Refuse a value of `key` that changes the counts in a way no rule models."""
        value = self.data.get(key, allowed[0])
        if value not in allowed:
            raise self.refuse(key, f"'{key}' {describe(value)} is not supported: {why}")

    def heads(self) -> Tuple[int, int, int]:
        """(query heads, key/value heads, head size) of a grouped-query decoder. A key the file leaves out has
        the value of its family's transformers configuration class (LEFT_OUT), else, as a null one, the value
        derived from the others: every query head its own key/value head, hidden_size ÷ heads."""
        left_out = {key: value for key, value in LEFT_OUT.get(self.data.get("model_type"), {}).items()
                    if key not in self.data}
        heads = self.size("num_attention_heads")
        kv_heads = self.size("num_key_value_heads", left_out.get("num_key_value_heads", heads))
        hidden = self.size("hidden_size")
        head_dim = self.size("head_dim", left_out.get("head_dim", hidden // heads))
        if hidden % heads and self.data.get("model_type") in WHOLE_HEADS:
            raise self.refuse("num_attention_heads", f"hidden_size {hidden} must be divisible by num_attention_heads "
                                                     f"{heads} (transformers' {self.data['model_type']} configuration "
                                                     "requires it, whatever head_dim says)")
        if heads % kv_heads:
            raise self.refuse("num_key_value_heads", f"num_attention_heads {heads} must be divisible by "
                                                     f"num_key_value_heads {kv_heads}")
        return heads, kv_heads, head_dim


# -- the families -------------------------------------------------------------------------------


def rms_norm(name: str, epsilon: float) -> dict:
    return {"type": "RMSNormalization", "name": name, "epsilon": epsilon}


def gated_mlp(config: Config, act: str, bias: bool, fused: bool = False) -> dict:
    """The block `mlp`: act(gate_proj(x)) · up_proj(x), then down_proj (SwiGLU, GeGLU). Phi-3 fuses gate and
    up in one module, gate_up_proj: written as the nested block gate_up_proj (gate and up, the same figures)."""
    units = config.size("intermediate_size")
    gate_up = [{"type": "Dense", "name": "gate" if fused else "gate_proj", "units": units, "use_bias": bias,
                "activation": act},
               {"type": "Dense", "name": "up" if fused else "up_proj", "units": units, "use_bias": bias,
                "inputs": ["input"]},
               {"type": "Multiply", "name": "act", "inputs": ["gate", "up"] if fused else ["gate_proj", "up_proj"]}]
    blocks = {"gate_up_proj": {"layers": gate_up}} if fused else {}
    layers = [{"type": "gate_up_proj", "name": "gate_up_proj"}] if fused else gate_up
    down = {"type": "Dense", "name": "down_proj", "units": config.size("hidden_size"), "use_bias": bias}
    return {**blocks, "mlp": {"layers": [*layers, down]}}


def decoder_spec(config: Config, head: bool, attention: dict, blocks: Dict[str, dict], post_norms: bool = False,
                 epsilon_key: str = "rms_norm_eps", tied_default: bool = False, mlp: Optional[dict] = None) -> dict:
    """Llama's layout, which Mistral, Qwen2, Gemma, Gemma 2 and Phi-3 share: embed_tokens, the decoder layers
    (input_layernorm, self_attn, post_attention_layernorm, mlp; Gemma 2 also normalizes each sublayer's output,
    post_norms), norm, and with a head lm_head, tied to embed_tokens when tie_word_embeddings. The mlp is the
    block `mlp`, or the one layer `mlp` given (a mixture of experts)."""
    mlp = mlp or {"type": "mlp", "name": "mlp"}
    epsilon = config.number(epsilon_key, 1e-06)
    hidden, vocab = config.size("hidden_size"), config.size("vocab_size")
    layers = config.size("num_hidden_layers")
    tied = head and config.flag("tie_word_embeddings", tied_default)
    if post_norms:  # Gemma 2: x + post_attention_layernorm(attn(input_layernorm(x))), then the same around mlp
        body = [rms_norm("input_layernorm", epsilon), attention,
                rms_norm("post_attention_layernorm", epsilon),
                {"type": "Add", "name": "attention_residual", "inputs": ["input", "post_attention_layernorm"]},
                rms_norm("pre_feedforward_layernorm", epsilon), mlp,
                rms_norm("post_feedforward_layernorm", epsilon),
                {"type": "Add", "name": "mlp_residual", "inputs": ["attention_residual", "post_feedforward_layernorm"]}]
    else:  # x + attn(input_layernorm(x)), then + mlp(post_attention_layernorm(.))
        body = [rms_norm("input_layernorm", epsilon), attention,
                {"type": "Add", "name": "attention_residual", "inputs": ["input", "self_attn"]},
                rms_norm("post_attention_layernorm", epsilon), mlp,
                {"type": "Add", "name": "mlp_residual", "inputs": ["attention_residual", "mlp"]}]
    spec = {"name": config.data.get("_name_or_path") or config.data["model_type"], "batch": "B",
            "input": {"shape": ["T"], "dtype": "int32"},
            "blocks": {**blocks, "decoder": {"layers": body}},
            "layers": [{"type": "ReversibleEmbedding" if tied else "Embedding", "name": "embed_tokens",
                        "input_dim": vocab, "output_dim": hidden},
                       {"type": "decoder", "name": "layers", "repeat": layers},
                       rms_norm("norm", epsilon)]}
    if head:
        spec["layers"].append({"call": "embed_tokens", "name": "lm_head", "reverse": True} if tied else
                              {"type": "Dense", "name": "lm_head", "units": vocab, "use_bias": False})
    return spec


def grouped_attention(config: Config, bias: bool) -> dict:
    heads, kv_heads, head_dim = config.heads()
    return {"type": "GroupQueryAttention", "name": "self_attn", "inputs": ["input_layernorm", "input_layernorm"],
            "num_query_heads": heads,
            "num_key_value_heads": kv_heads, "head_dim": head_dim, "use_bias": bias, "use_causal_mask": True}


def llama(config: Config, head: bool) -> dict:
    """Llama (and Mistral, which has no bias options): attention_bias on q, k, v and o; mlp_bias on the MLP."""
    act = config.activation("hidden_act")
    attention = grouped_attention(config, config.flag("attention_bias", False))
    return decoder_spec(config, head, attention, gated_mlp(config, act, config.flag("mlp_bias", False)))


def mistral(config: Config, head: bool) -> dict:
    attention = grouped_attention(config, False)
    return decoder_spec(config, head, attention, gated_mlp(config, config.activation("hidden_act"), False))


def qwen2(config: Config, head: bool) -> dict:
    """Qwen2: biases on q, k and v, none on o (Qwen2Attention), whatever the configuration says."""
    heads, kv_heads, head_dim = config.heads()
    attention = {"type": "Qwen2Attention", "name": "self_attn", "inputs": ["input_layernorm"], "num_attention_heads": heads,
                 "num_key_value_heads": kv_heads, "head_dim": head_dim}
    return decoder_spec(config, head, attention, gated_mlp(config, config.activation("hidden_act"), False))


def mixtral(config: Config, head: bool) -> dict:
    """Mixtral: Mistral's layout with a mixture of experts for the MLP (MixtralSparseMoeBlock)."""
    config.activation("hidden_act")
    moe = {"type": "MixtralSparseMoeBlock", "name": "mlp", "num_local_experts": config.size("num_local_experts"),
           "num_experts_per_tok": config.size("num_experts_per_tok"),
           "intermediate_size": config.size("intermediate_size")}
    return decoder_spec(config, head, grouped_attention(config, False), {}, mlp=moe)


def qwen2_moe(config: Config, head: bool) -> dict:
    """Qwen2-MoE: Qwen2's attention (q, k and v biases unless qkv_bias is false) and in every layer a mixture
    of experts with a shared expert (Qwen2MoeSparseMoeBlock); layers with a dense MLP instead
    (decoder_sparse_step above 1, mlp_only_layers) are refused."""
    config.activation("hidden_act")
    config.only("decoder_sparse_step", (1,), "layers without experts (every n-th layer sparse) are not modelled")
    config.only("mlp_only_layers", ([],), "layers without experts (those it lists) are not modelled")
    heads, kv_heads, head_dim = config.heads()
    attention = ({"type": "Qwen2Attention", "name": "self_attn", "inputs": ["input_layernorm"],
                  "num_attention_heads": heads, "num_key_value_heads": kv_heads, "head_dim": head_dim}
                 if config.flag("qkv_bias", True) else grouped_attention(config, False))
    moe = {"type": "Qwen2MoeSparseMoeBlock", "name": "mlp", "num_experts": config.size("num_experts"),
           "num_experts_per_tok": config.size("num_experts_per_tok"),
           "moe_intermediate_size": config.size("moe_intermediate_size"),
           "shared_expert_intermediate_size": config.size("shared_expert_intermediate_size")}
    return decoder_spec(config, head, attention, {}, mlp=moe)


def gemma(config: Config, head: bool, post_norms: bool = False) -> dict:
    """Gemma: its embeddings scaled by √hidden_size (no weights), head_dim 256 by default, the head tied."""
    act = config.activation("hidden_activation", "hidden_act")
    attention = grouped_attention(config, config.flag("attention_bias", False))
    return decoder_spec(config, head, attention, gated_mlp(config, act, False), post_norms=post_norms,
                        tied_default=True)


def gemma2(config: Config, head: bool) -> dict:
    return gemma(config, head, post_norms=True)


def phi3(config: Config, head: bool) -> dict:
    """Phi-3: q, k and v fused in qkv_proj ((Hq + 2·Hkv)·h outputs: GroupQueryAttention's three projections),
    gate and up fused in gate_up_proj; no biases."""
    attention = grouped_attention(config, False)
    return decoder_spec(config, head, attention, gated_mlp(config, config.activation("hidden_act"), False,
                                                           fused=True))


def gpt2(config: Config, head: bool) -> dict:
    """GPT-2: learned positions (an input of position ids, 0 .. T-1, looked up by wpe), pre-norm blocks with
    LayerNorm, c_attn (q, k and v fused: MultiHeadAttention's projections) and c_proj, an MLP of n_inner
    (default 4·n_embd), all with biases; the LM head is tied to wte."""
    config.only("add_cross_attention", (False,), "GPT-2's cross-attention layers need an encoder's sequence")
    width, heads = config.size("n_embd"), config.size("n_head")
    if width % heads:
        raise config.refuse("n_head", f"n_embd {width} must be divisible by n_head {heads}")
    epsilon = config.number("layer_norm_epsilon", 1e-05)
    norm = {"type": "LayerNormalization", "epsilon": epsilon}
    block = [{**norm, "name": "ln_1"},
             {"type": "MultiHeadAttention", "name": "attn", "inputs": ["ln_1", "ln_1"], "num_heads": heads,
              "key_dim": width // heads, "use_causal_mask": True},
             {"type": "Add", "name": "attention_residual", "inputs": ["input", "attn"]},
             {**norm, "name": "ln_2"}, {"type": "mlp", "name": "mlp"},
             {"type": "Add", "name": "mlp_residual", "inputs": ["attention_residual", "mlp"]}]
    mlp = [{"type": "Dense", "name": "c_fc", "units": config.size("n_inner", 4 * width),
            "activation": config.activation("activation_function")},
           {"type": "Dense", "name": "c_proj", "units": width}]
    layers = [{"type": "ReversibleEmbedding" if head else "Embedding", "name": "wte",
               "input_dim": config.size("vocab_size"), "output_dim": width, "inputs": ["tokens"]},
              {"type": "Embedding", "name": "wpe", "input_dim": config.size("n_positions"), "output_dim": width,
               "inputs": ["positions"]},
              {"type": "Add", "name": "embeddings", "inputs": ["wte", "wpe"]},
              {"type": "block", "name": "h", "repeat": config.size("n_layer")},
              {**norm, "name": "ln_f"}]
    if head:
        layers.append({"call": "wte", "name": "lm_head", "reverse": True})
    return {"name": config.data.get("_name_or_path") or "gpt2", "batch": "B",
            "inputs": {"tokens": {"shape": ["T"], "dtype": "int32"}, "positions": {"shape": ["T"], "dtype": "int32"}},
            "blocks": {"mlp": {"layers": mlp}, "block": {"layers": block}}, "layers": layers}


def gpt_neox(config: Config, head: bool) -> dict:
    """GPT-NeoX (Pythia): LayerNorm, q, k and v fused in query_key_value (MultiHeadAttention's projections) and
    dense, biased unless attention_bias is false, an MLP of intermediate_size, the attention and the MLP both
    reading the layer's input with use_parallel_residual (x + attention(ln1(x)) + mlp(ln2(x))); rotary
    embeddings on rotary_pct of each head have no weights; the head untied unless tie_word_embeddings."""
    width, heads = config.size("hidden_size"), config.size("num_attention_heads")
    if width % heads:
        raise config.refuse("num_attention_heads", f"hidden_size {width} must be divisible by num_attention_heads "
                                                   f"{heads}")
    norm = {"type": "LayerNormalization", "epsilon": config.number("layer_norm_eps", 1e-05)}
    attention = {"type": "MultiHeadAttention", "name": "attention", "inputs": ["input_layernorm", "input_layernorm"],
                 "num_heads": heads, "key_dim": width // heads, "use_bias": config.flag("attention_bias", True),
                 "use_causal_mask": True}
    if config.flag("use_parallel_residual", True):
        body = [{**norm, "name": "input_layernorm"}, attention,
                {**norm, "name": "post_attention_layernorm", "inputs": ["input"]}, {"type": "mlp", "name": "mlp"},
                {"type": "Add", "name": "residual", "inputs": ["input", "attention", "mlp"]}]
    else:
        body = [{**norm, "name": "input_layernorm"}, attention,
                {"type": "Add", "name": "attention_residual", "inputs": ["input", "attention"]},
                {**norm, "name": "post_attention_layernorm"}, {"type": "mlp", "name": "mlp"},
                {"type": "Add", "name": "mlp_residual", "inputs": ["attention_residual", "mlp"]}]
    mlp = [{"type": "Dense", "name": "dense_h_to_4h", "units": config.size("intermediate_size"),
            "activation": config.activation("hidden_act")},
           {"type": "Dense", "name": "dense_4h_to_h", "units": width}]
    tied = head and config.flag("tie_word_embeddings", False)
    vocab = config.size("vocab_size")
    layers = [{"type": "ReversibleEmbedding" if tied else "Embedding", "name": "embed_in", "input_dim": vocab,
               "output_dim": width},
              {"type": "layer", "name": "layers", "repeat": config.size("num_hidden_layers")},
              {**norm, "name": "final_layer_norm"}]
    if head:
        layers.append({"call": "embed_in", "name": "lm_head", "reverse": True} if tied else
                      {"type": "Dense", "name": "lm_head", "units": vocab, "use_bias": False})
    return {"name": config.data.get("_name_or_path") or "gpt_neox", "batch": "B",
            "input": {"shape": ["T"], "dtype": "int32"},
            "blocks": {"mlp": {"layers": mlp}, "layer": {"layers": body}}, "layers": layers}


def opt(config: Config, head: bool) -> dict:
    """OPT: token embeddings of word_embed_proj_dim (projected to hidden_size by project_in and back by
    project_out when they differ), learned positions (max_position_embeddings + 2 rows, OPT's offset; an
    input of position ids, as GPT-2's), LayerNorm before each sublayer (after, with do_layer_norm_before
    false, which also drops the final norm), attention with biases (enable_bias), fc1 (ffn_dim, ReLU) and
    fc2; the head tied to embed_tokens."""
    width, heads = config.size("hidden_size"), config.size("num_attention_heads")
    if width % heads:
        raise config.refuse("num_attention_heads", f"hidden_size {width} must be divisible by num_attention_heads "
                                                   f"{heads}")
    config.only("tie_word_embeddings", (True,), "OPT's untied head is not modelled")
    affine = config.flag("layer_norm_elementwise_affine", True)
    norm = {"type": "LayerNormalization", "epsilon": 1e-05, "center": affine, "scale": affine}
    bias = config.flag("enable_bias", True)
    before = config.flag("do_layer_norm_before", True)
    attention = {"type": "MultiHeadAttention", "name": "self_attn", "num_heads": heads, "key_dim": width // heads,
                 "use_bias": bias, "use_causal_mask": True}
    fc = [{"type": "Dense", "name": "fc1", "units": config.size("ffn_dim"), "use_bias": bias,
           "activation": config.activation("activation_function")},
          {"type": "Dense", "name": "fc2", "units": width, "use_bias": bias}]
    if before:
        body = [{**norm, "name": "self_attn_layer_norm"}, {**attention, "inputs": ["self_attn_layer_norm"] * 2},
                {"type": "Add", "name": "attention_residual", "inputs": ["input", "self_attn"]},
                {**norm, "name": "final_layer_norm"}, *fc,
                {"type": "Add", "name": "mlp_residual", "inputs": ["attention_residual", "fc2"]}]
    else:
        body = [{**attention, "inputs": ["input", "input"]},
                {"type": "Add", "name": "attention_residual", "inputs": ["input", "self_attn"]},
                {**norm, "name": "self_attn_layer_norm"}, *fc,
                {"type": "Add", "name": "mlp_residual", "inputs": ["self_attn_layer_norm", "fc2"]},
                {**norm, "name": "final_layer_norm"}]
    projected = config.size("word_embed_proj_dim", width)
    layers = [{"type": "ReversibleEmbedding" if head else "Embedding", "name": "embed_tokens",
               "input_dim": config.size("vocab_size"), "output_dim": projected, "inputs": ["tokens"]}]
    if projected != width:
        layers.append({"type": "Dense", "name": "project_in", "units": width, "use_bias": False})
    layers += [{"type": "Embedding", "name": "embed_positions", "input_dim": config.size("max_position_embeddings") + 2,
                "output_dim": width, "inputs": ["positions"]},
               {"type": "Add", "name": "embeddings", "inputs": [layers[-1]["name"], "embed_positions"]},
               {"type": "layer", "name": "layers", "repeat": config.size("num_hidden_layers")}]
    if before and not config.flag("_remove_final_layer_norm", False):
        layers.append({**norm, "name": "final_layer_norm"})
    if projected != width:
        layers.append({"type": "Dense", "name": "project_out", "units": projected, "use_bias": False})
    if head:
        layers.append({"call": "embed_tokens", "name": "lm_head", "reverse": True})
    ids = {"shape": ["T"], "dtype": "int32"}
    return {"name": config.data.get("_name_or_path") or "opt", "batch": "B",
            "inputs": {"tokens": ids, "positions": ids}, "blocks": {"layer": {"layers": body}}, "layers": layers}


def vit(config: Config, head: bool) -> dict:
    """ViT: ViTEmbeddings (patches, class token, positions) on pixel values (num_channels, image_size,
    image_size), pre-norm encoder layers (layernorm_before, attention with biases, layernorm_after, fc1 with
    hidden_act, fc2), layernorm; ViTModel's pooler Dense(hidden_size, tanh) on the class token, or
    ViTForImageClassification's classifier Dense(num_labels) on it (the first token taken by
    GlobalMaxPooling1D, a stand-in with the slice's shape, no weights and no MACs)."""
    config.only("qkv_bias", (True,), "attention without query, key and value biases is not modelled")
    width, heads = config.size("hidden_size"), config.size("num_attention_heads")
    if width % heads:
        raise config.refuse("num_attention_heads", f"hidden_size {width} must be divisible by num_attention_heads "
                                                   f"{heads}")
    norm = {"type": "LayerNormalization", "epsilon": config.number("layer_norm_eps", 1e-12)}
    body = [{**norm, "name": "layernorm_before"},
            {"type": "MultiHeadAttention", "name": "attention", "inputs": ["layernorm_before", "layernorm_before"],
             "num_heads": heads, "key_dim": width // heads},
            {"type": "Add", "name": "attention_residual", "inputs": ["input", "attention"]},
            {**norm, "name": "layernorm_after"}, {"type": "mlp", "name": "mlp"},
            {"type": "Add", "name": "mlp_residual", "inputs": ["attention_residual", "mlp"]}]
    mlp = [{"type": "Dense", "name": "fc1", "units": config.size("intermediate_size"),
            "activation": config.activation("hidden_act")}, {"type": "Dense", "name": "fc2", "units": width}]
    size = config.size("image_size")
    layers = [{"type": "ViTEmbeddings", "name": "embeddings", "image_size": size,
               "patch_size": config.size("patch_size"), "hidden_size": width},
              {"type": "layer", "name": "layers", "repeat": config.size("num_hidden_layers")},
              {**norm, "name": "layernorm"}, {"type": "GlobalMaxPooling1D", "name": "first_token"}]
    if head:
        labels = config.data.get("id2label")
        count = len(labels) if isinstance(labels, dict) and labels else config.size("num_labels", 2)
        layers.append({"type": "Dense", "name": "classifier", "units": count})
    else:
        config.only("pooler_act", ("tanh",), "another pooler activation is not modelled")
        layers.append({"type": "Dense", "name": "pooler", "units": config.size("pooler_output_size", width),
                       "activation": "tanh"})
    return {"name": config.data.get("_name_or_path") or "vit", "batch": "B",
            "input": {"shape": [config.size("num_channels", 3), size, size]},
            "blocks": {"mlp": {"layers": mlp}, "layer": {"layers": body}}, "layers": layers,
            "outputs": ["layernorm", layers[-1]["name"]]}


def t5(config: Config, head: bool) -> dict:
    """T5: a shared token embedding read by the encoder and (a second call, decoder_tokens) the decoder;
    pre-norm layers with RMS norms (T5LayerNorm) and T5Attention (relative position buckets in each stack's
    first layer); a feed-forward DenseReluDense of d_ff, wi then wo, or with feed_forward_proj gated-ACT wi_0
    (ACT) times wi_1, then wo; no biases anywhere; each stack's final_layer_norm; the LM head tied to shared
    (tie_word_embeddings false is refused: transformers' versions count it differently). The decoder's layers take the encoder's output, so they are listed one
    by one (repeat chains one input). S is the encoder's length, T the decoder's."""
    width, heads, d_kv = config.size("d_model"), config.size("num_heads"), config.size("d_kv")
    projection = config.data.get("feed_forward_proj", "relu")
    gated = isinstance(projection, str) and projection.startswith("gated-")
    act_name = projection[len("gated-"):] if gated else projection
    if act_name not in ACTIVATIONS:
        raise config.refuse("feed_forward_proj", f"'feed_forward_proj' {describe(projection)} is not supported: "
                                                 f"expected ACT or gated-ACT, ACT one of {', '.join(ACTIVATIONS)}")
    act, ff = ACTIVATIONS[act_name], config.size("d_ff")
    epsilon = config.number("layer_norm_epsilon", 1e-06)
    buckets = config.size("relative_attention_num_buckets", 32)
    wi = ([{"type": "Dense", "name": "wi_0", "units": ff, "use_bias": False, "activation": act},
           {"type": "Dense", "name": "wi_1", "units": ff, "use_bias": False, "inputs": ["input"]},
           {"type": "Multiply", "name": "gated", "inputs": ["wi_0", "wi_1"]}] if gated else
          [{"type": "Dense", "name": "wi", "units": ff, "use_bias": False, "activation": act}])
    feed_forward = [*wi, {"type": "Dense", "name": "wo", "units": width, "use_bias": False}]

    def attention(name: str, inputs: List[str]) -> dict:
        return {"type": "T5Attention", "name": name, "inputs": inputs, "num_heads": heads, "d_kv": d_kv,
                "has_relative_attention_bias": "$relative", "relative_attention_num_buckets": buckets}

    encoder_layer = [rms_norm("self_attention_norm", epsilon),
                     attention("SelfAttention", ["self_attention_norm", "self_attention_norm"]),
                     {"type": "Add", "name": "attention_residual", "inputs": ["input", "SelfAttention"]},
                     rms_norm("ff_norm", epsilon), {"type": "feed_forward", "name": "DenseReluDense"},
                     {"type": "Add", "name": "ff_residual", "inputs": ["attention_residual", "DenseReluDense"]}]
    decoder_layer = [rms_norm("self_attention_norm", epsilon),  # the decoder's attentions: is_decoder, cached
                     {**attention("SelfAttention", ["self_attention_norm", "self_attention_norm"]), "is_decoder": True},
                     {"type": "Add", "name": "attention_residual", "inputs": ["x", "SelfAttention"]},
                     rms_norm("cross_attention_norm", epsilon),
                     {**attention("EncDecAttention", ["cross_attention_norm", "encoded"]),
                      "has_relative_attention_bias": False, "is_decoder": True},
                     {"type": "Add", "name": "cross_attention_residual",
                      "inputs": ["attention_residual", "EncDecAttention"]},
                     rms_norm("ff_norm", epsilon), {"type": "feed_forward", "name": "DenseReluDense"},
                     {"type": "Add", "name": "ff_residual", "inputs": ["cross_attention_residual", "DenseReluDense"]}]
    encoder_layers = config.size("num_layers")
    for key in ("num_layers", "num_decoder_layers"):  # listed one by one: bounded before the lists are made
        if config.size(key, encoder_layers) > MAX_LAYERS:
            raise config.refuse(key, f"'{key}' {config.data[key]:,} is more layers than a spec may expand to "
                                     f"({MAX_LAYERS:,})")
    encoder = [{"type": "encoder_layer", "name": f"block_{index}", **({"relative": True} if index == 1 else {})}
               for index in range(1, encoder_layers + 1)]
    blocks = {"feed_forward": {"layers": feed_forward},
              "encoder_layer": {"args": [{"relative": False}], "layers": encoder_layer},
              "encoder": {"layers": [*encoder, rms_norm("final_layer_norm", epsilon)]}}
    config.only("tie_word_embeddings", (True,), "transformers 5 ties T5's LM head to the shared embedding whatever "
                "this key says, transformers 4 did not (google/t5-v1_1-small: 60,511,616 parameters in one, "
                "76,961,152 in the other): the count depends on the version")
    layers = [{"type": "ReversibleEmbedding" if head else "Embedding", "name": "shared",
               "input_dim": config.size("vocab_size"), "output_dim": width, "inputs": ["tokens"]},
              {"type": "encoder", "name": "encoder"}]
    inputs = {"tokens": {"shape": ["S"], "dtype": "int32"}}
    decoder_layers = config.size("num_decoder_layers", encoder_layers)
    stack = [{"type": "decoder_layer", "name": f"block_{index}",
              "inputs": ["input" if index == 1 else f"block_{index - 1}", "encoded"],
              **({"relative": True} if index == 1 else {})} for index in range(1, decoder_layers + 1)]
    blocks["decoder_layer"] = {"inputs": ["x", "encoded"], "args": [{"relative": False}], "layers": decoder_layer}
    blocks["decoder"] = {"inputs": ["input", "encoded"],
                         "layers": [*stack, rms_norm("final_layer_norm", epsilon)]}
    inputs["decoder_tokens"] = {"shape": ["T"], "dtype": "int32"}
    layers += [{"call": "shared", "name": "decoder_embed_tokens", "inputs": ["decoder_tokens"]},
               {"type": "decoder", "name": "decoder", "inputs": ["decoder_embed_tokens", "encoder"]}]
    outputs = ["decoder"]
    if head:
        layers.append({"call": "shared", "name": "lm_head", "reverse": True})
        outputs = ["lm_head"]
    return {"name": config.data.get("_name_or_path") or "t5", "batch": "B", "inputs": inputs, "blocks": blocks,
            "layers": layers, "outputs": outputs}


def encoder_spec(config: Config, head: bool, *, width: int, heads: int, intermediate: int, layers: int, act: str,
                 epsilon: float, token_types: bool, pooler: bool, head_act: str) -> dict:
    """BERT's layout, which RoBERTa and DistilBERT share: word and position embeddings (and with token_types
    token-type ones) summed and normalized, post-norm encoder layers with biases everywhere; without a head
    the pooler (when the model has one), Dense(width, tanh) on the first token; with the masked-LM head a
    Dense(width, head_act) transform, a LayerNorm, the decoder tied to word_embeddings (its reverse call)
    and the decoder's bias. Position (and token-type) ids are inputs, as GPT-2's positions; the first token
    is taken by GlobalMaxPooling1D, a stand-in with the slice's shape, no weights and no MACs."""
    if width % heads:
        raise config.refuse(None, f"the width {width} must be divisible by the number of heads {heads}")
    norm = {"type": "LayerNormalization", "epsilon": epsilon}
    layer = [{"type": "MultiHeadAttention", "name": "attention", "inputs": ["input", "input"], "num_heads": heads,
              "key_dim": width // heads},
             {"type": "Add", "name": "attention_residual", "inputs": ["input", "attention"]},
             {**norm, "name": "attention_norm"},
             {"type": "Dense", "name": "intermediate", "units": intermediate, "activation": act},
             {"type": "Dense", "name": "output", "units": width},
             {"type": "Add", "name": "output_residual", "inputs": ["attention_norm", "output"]},
             {**norm, "name": "output_norm"}]
    ids = {"shape": ["T"], "dtype": "int32"}
    inputs = ["tokens", "positions", *(["token_types"] if token_types else [])]
    embeddings = [{"type": "ReversibleEmbedding" if head else "Embedding", "name": "word_embeddings",
                   "input_dim": config.size("vocab_size"), "output_dim": width, "inputs": ["tokens"]},
                  {"type": "Embedding", "name": "position_embeddings",
                   "input_dim": config.size("max_position_embeddings"), "output_dim": width, "inputs": ["positions"]}]
    if token_types:
        embeddings.append({"type": "Embedding", "name": "token_type_embeddings",
                           "input_dim": config.size("type_vocab_size"), "output_dim": width, "inputs": ["token_types"]})
    embeddings += [{"type": "Add", "name": "sum", "inputs": [entry["name"] for entry in embeddings]},
                   {**norm, "name": "LayerNorm"}]
    last = f"layer_{layers}"
    spec_layers = [{"type": "embeddings", "name": "embeddings", "inputs": inputs},
                   {"type": "layer", "name": "layer", "repeat": layers}]
    if head:
        spec_layers += [{"type": "Dense", "name": "transform", "units": width, "activation": head_act},
                        {**norm, "name": "transform_norm"},
                        {"call": "embeddings/word_embeddings", "name": "decoder", "reverse": True},
                        {"type": "OutputBias", "name": "bias"}]
        outputs = ["bias"]
    elif pooler:
        spec_layers += [{"type": "GlobalMaxPooling1D", "name": "first_token", "inputs": [last]},
                        {"type": "Dense", "name": "pooler", "units": width, "activation": "tanh"}]
        outputs = [last, "pooler"]
    else:
        outputs = [last]
    return {"name": config.data.get("_name_or_path") or config.data["model_type"], "batch": "B",
            "inputs": {name: ids for name in inputs},
            "blocks": {"embeddings": {"inputs": inputs, "layers": embeddings}, "layer": {"layers": layer}},
            "layers": spec_layers, "outputs": outputs}


def bert(config: Config, head: bool, head_act: Optional[str] = None) -> dict:
    """BERT (BertModel with its pooler, BertForMaskedLM) and RoBERTa (the same layout and keys)."""
    config.only("position_embedding_type", ("absolute",), "relative position embeddings add a distance embedding "
                                                          "no rule models")
    config.only("is_decoder", (False,), "an encoder used as a decoder is not modelled")
    config.only("add_cross_attention", (False,), "cross-attention layers need an encoder's sequence")
    act = config.activation("hidden_act")
    return encoder_spec(config, head, width=config.size("hidden_size"), heads=config.size("num_attention_heads"),
                        intermediate=config.size("intermediate_size"), layers=config.size("num_hidden_layers"),
                        act=act, epsilon=config.number("layer_norm_eps", 1e-12), token_types=True, pooler=True,
                        head_act=head_act or act)


def roberta(config: Config, head: bool) -> dict:
    """RoBERTa: BERT's layout; its masked-LM head's transform uses GELU whatever hidden_act says."""
    return bert(config, head, head_act="gelu")


def distilbert(config: Config, head: bool) -> dict:
    """DistilBERT: BERT's layout without token types or pooler (keys dim, hidden_dim, n_heads, n_layers);
    learned position embeddings only (sinusoidal_pos_embds makes them frozen: refused)."""
    config.only("sinusoidal_pos_embds", (False,), "frozen sinusoidal position embeddings are not modelled")
    act = config.activation("activation")
    return encoder_spec(config, head, width=config.size("dim"), heads=config.size("n_heads"),
                        intermediate=config.size("hidden_dim"), layers=config.size("n_layers"), act=act,
                        epsilon=1e-12, token_types=False, pooler=False, head_act=act)


Builder = Callable[[Config, bool], dict]

# model_type -> (its builder, {architecture class: whether it has the LM head})
FAMILIES: Dict[str, Tuple[Builder, Dict[str, bool]]] = {
    "llama": (llama, {"LlamaForCausalLM": True, "LlamaModel": False}),
    "mistral": (mistral, {"MistralForCausalLM": True, "MistralModel": False}),
    "qwen2": (qwen2, {"Qwen2ForCausalLM": True, "Qwen2Model": False}),
    "mixtral": (mixtral, {"MixtralForCausalLM": True, "MixtralModel": False}),
    "qwen2_moe": (qwen2_moe, {"Qwen2MoeForCausalLM": True, "Qwen2MoeModel": False}),
    "gemma": (gemma, {"GemmaForCausalLM": True, "GemmaModel": False}),
    "gemma2": (gemma2, {"Gemma2ForCausalLM": True, "Gemma2Model": False}),
    "phi3": (phi3, {"Phi3ForCausalLM": True, "Phi3Model": False}),
    "gpt2": (gpt2, {"GPT2LMHeadModel": True, "GPT2Model": False}),
    "gpt_neox": (gpt_neox, {"GPTNeoXForCausalLM": True, "GPTNeoXModel": False}),
    "opt": (opt, {"OPTForCausalLM": True, "OPTModel": False}),
    "vit": (vit, {"ViTModel": False, "ViTForImageClassification": True}),
    "t5": (t5, {"T5ForConditionalGeneration": True, "T5Model": False}),
    "bert": (bert, {"BertModel": False, "BertForMaskedLM": True}),
    "roberta": (roberta, {"RobertaModel": False, "RobertaForMaskedLM": True}),
    "distilbert": (distilbert, {"DistilBertModel": False, "DistilBertForMaskedLM": True}),
}


def model_spec(data: Dict[str, Any], text: str, path: str) -> HFModel:
    """The spec data of a Hugging Face configuration, or a SpecError naming what is not supported."""
    config = Config(data, text, path)
    model_type = data.get("model_type")
    if model_type not in FAMILIES:
        raise config.refuse("model_type" if "model_type" in data else None,
                            f"model_type {describe(model_type)} is not supported; supported: "
                            f"{', '.join(FAMILIES)}{closest(str(model_type), list(FAMILIES))}")
    builder, classes = FAMILIES[model_type]
    architectures = data.get("architectures")
    if not (isinstance(architectures, list) and len(architectures) == 1 and isinstance(architectures[0], str)):
        raise config.refuse("architectures" if "architectures" in data else None,
                            f"'architectures' must name the one model class to count, one of {', '.join(classes)}, "
                            f"found {describe(architectures)}")
    architecture = architectures[0]
    if architecture not in classes:
        raise config.refuse("architectures", f"architecture {architecture} is not supported for model_type "
                                             f"{model_type}; supported: {', '.join(classes)}"
                                             f"{closest(architecture, list(classes))}")
    spec = builder(config, classes[architecture])
    return HFModel(spec, f"{path} (Hugging Face {architecture}, model_type {model_type})")


def read_config(path: str, text: str) -> Optional[HFModel]:
    """The model a config.json describes; None when the JSON is not a Hugging Face configuration."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return model_spec(data, text, path) if is_hf_config(data) else None
