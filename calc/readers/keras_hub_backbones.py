"""Keras Hub backbones -> spec data. A saved backbone (`backbone.save("b.keras")`, `backbone.to_json()`)
keeps only its constructor's arguments, not its layers: its architecture is rebuilt here from them, as
Keras Hub's own constructor builds it (keras-hub 0.32.0), with its layer names, every layer one of
layercalc's rules (Keras' and Keras Hub's). No figure is computed here.

The sequence length is the symbol T and the batch B (Keras: None), bound with --set. The padding mask
input, which changes no figure, is left out; BERT's first-token slice (an operation, x[:, 0, :]) is a
GlobalMaxPooling1D stand-in with its shape and no weights or MACs, as in the Hugging Face reader.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

from ..errors import Location, SpecError, closest, describe


def _size(config: Dict[str, Any], key: str, where: Location, default: Any = None) -> int:
    value = config.get(key)
    value = default if value is None else value  # Keras Hub writes null for "the default"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"the backbone's '{key}' must be a positive integer, found {describe(value)}", location=where)
    return value


def gpt2(config: Dict[str, Any], where: Location) -> dict:
    """GPT2Backbone: a tied ReversibleEmbedding and a PositionEmbedding, added; pre-norm TransformerDecoder
    layers (GELU, epsilon 1e-5); a final LayerNormalization."""
    width = _size(config, "hidden_dim", where)
    decoder = {"type": "TransformerDecoder", "intermediate_dim": _size(config, "intermediate_dim", where),
               "num_heads": _size(config, "num_heads", where), "activation": "gelu", "layer_norm_epsilon": 1e-05,
               "normalize_first": True}
    layers = [{"type": "ReversibleEmbedding", "name": "token_embedding",
               "input_dim": _size(config, "vocabulary_size", where), "output_dim": width},
              {"type": "PositionEmbedding", "name": "position_embedding",
               "sequence_length": _size(config, "max_sequence_length", where, 1024)},
              {"type": "Add", "name": "embeddings_add", "inputs": ["token_embedding", "position_embedding"]},
              {"type": "Dropout", "name": "embeddings_dropout", "rate": config.get("dropout", 0.1)},
              *({**decoder, "name": f"transformer_layer_{index}"} for index in range(_layers(config, where))),
              {"type": "LayerNormalization", "name": "layer_norm", "epsilon": 1e-05}]
    return {"name": config.get("name") or "gpt2_backbone", "batch": "B",
            "inputs": {"token_ids": {"shape": ["T"], "dtype": "int32"}}, "layers": layers}


def bert(config: Dict[str, Any], where: Location) -> dict:
    """BertBackbone: token (tied ReversibleEmbedding), position and segment embeddings added and normalized
    (epsilon 1e-12), post-norm TransformerEncoder layers (GELU), and pooled_dense, Dense(hidden_dim, tanh)
    on the first token."""
    width = _size(config, "hidden_dim", where)
    encoder = {"type": "TransformerEncoder", "intermediate_dim": _size(config, "intermediate_dim", where),
               "num_heads": _size(config, "num_heads", where), "activation": "gelu", "layer_norm_epsilon": 1e-12}
    layers = [{"type": "ReversibleEmbedding", "name": "token_embedding",
               "input_dim": _size(config, "vocabulary_size", where), "output_dim": width, "inputs": ["token_ids"]},
              {"type": "PositionEmbedding", "name": "position_embedding",
               "sequence_length": _size(config, "max_sequence_length", where, 512)},
              {"type": "Embedding", "name": "segment_embedding", "input_dim": _size(config, "num_segments", where, 2),
               "output_dim": width, "inputs": ["segment_ids"]},
              {"type": "Add", "name": "embeddings_add",
               "inputs": ["token_embedding", "position_embedding", "segment_embedding"]},
              {"type": "LayerNormalization", "name": "embeddings_layer_norm", "epsilon": 1e-12},
              {"type": "Dropout", "name": "embeddings_dropout", "rate": config.get("dropout", 0.1)},
              *({**encoder, "name": f"transformer_layer_{index}"} for index in range(_layers(config, where))),
              {"type": "GlobalMaxPooling1D", "name": "first_token"},
              {"type": "Dense", "name": "pooled_dense", "units": width, "activation": "tanh"}]
    last = f"transformer_layer_{_layers(config, where) - 1}"
    ids = {"shape": ["T"], "dtype": "int32"}
    return {"name": config.get("name") or "bert_backbone", "batch": "B",
            "inputs": {"token_ids": ids, "segment_ids": ids}, "layers": layers,
            "outputs": [last, "pooled_dense"]}


def grouped_attention(config: Dict[str, Any], where: Location) -> dict:
    """Keras Hub's Llama, Mistral, Phi-3 and Mixtral attention: query, key, value and output projections
    without biases, key and value heads shared by groups of query heads."""
    heads = _size(config, "num_query_heads", where)
    return {"type": "GroupQueryAttention", "num_query_heads": heads,
            "num_key_value_heads": _size(config, "num_key_value_heads", where, heads),
            "head_dim": _size(config, "head_dim", where, _size(config, "hidden_dim", where) // heads), "use_bias": False,
            "use_causal_mask": True, "inputs": ["self_attention_layernorm", "self_attention_layernorm"]}


def qwen_attention(config: Dict[str, Any], where: Location) -> dict:
    """Keras Hub's QwenAttention (Qwen2): biases on the query, key and value projections, none on the output."""
    heads = _size(config, "num_query_heads", where)
    return {"type": "Qwen2Attention", "num_attention_heads": heads,
            "num_key_value_heads": _size(config, "num_key_value_heads", where, heads),
            "head_dim": _size(config, "hidden_dim", where) // heads, "inputs": ["self_attention_layernorm"]}


def qwen3_attention(config: Dict[str, Any], where: Location) -> dict:
    """Keras Hub's Qwen3Attention: no biases, an RMS norm of each query and key head (head_dim given)."""
    heads = _size(config, "num_query_heads", where)
    return {"type": "Qwen3Attention", "num_query_heads": heads,
            "num_key_value_heads": _size(config, "num_key_value_heads", where, heads),
            "head_dim": _size(config, "head_dim", where), "layer_norm_epsilon": config.get("layer_norm_epsilon", 1e-06),
            "inputs": ["self_attention_layernorm"]}


def swiglu(config: Dict[str, Any], where: Location) -> List[dict]:
    """The gated feed-forward of Keras Hub's Llama family: silu(x·gate) · (x·intermediate), then ·output; no biases."""
    units = _size(config, "intermediate_dim", where)
    return [{"type": "Dense", "name": "feedforward_gate_dense", "units": units, "use_bias": False, "activation": "silu"},
            {"type": "Dense", "name": "feedforward_intermediate_dense", "units": units, "use_bias": False,
             "inputs": ["feedforward_layernorm"]},
            {"type": "Multiply", "name": "feedforward_gated",
             "inputs": ["feedforward_gate_dense", "feedforward_intermediate_dense"]},
            {"type": "Dense", "name": "feedforward_output_dense", "units": _size(config, "hidden_dim", where),
             "use_bias": False}]


def mixture_of_experts(config: Dict[str, Any], where: Location) -> List[dict]:
    """Keras Hub's MixtralSparseMoeBlock: a router Dense(num_experts) without bias, and num_experts SwiGLU
    experts of intermediate_dim, top_k of them run on each token."""
    return [{"type": "MixtralSparseMoeBlock", "name": "sparse_moe", "num_local_experts": _size(config, "num_experts", where),
             "num_experts_per_tok": _size(config, "top_k", where, 2),
             "intermediate_size": _size(config, "intermediate_dim", where)}]


Part = Callable[[Dict[str, Any], Location], Any]


def decoder_backbone(config: Dict[str, Any], where: Location, name: str, decoder: str, attention: Part = grouped_attention,
                     feedforward: Part = swiglu, tied: bool = False) -> dict:
    """The Llama family's backbone: a ReversibleEmbedding (tied or not: an untied one's reverse_embeddings
    counted on its row, as Keras Hub does), pre-norm decoder layers, each a block of Keras Hub's sublayers (RMS
    norms, the attention, the feed-forward), named after Keras Hub's class so that `--depth 1` shows the rows
    model.summary() does; sequence_output_layernorm."""
    norm = {"type": "RMSNormalization", "epsilon": config.get("layer_norm_epsilon", 1e-06)}
    ffn = feedforward(config, where)
    block = [{**norm, "name": "self_attention_layernorm"}, {**attention(config, where), "name": "self_attention"},
             {"type": "Add", "name": "self_attention_residual", "inputs": ["input", "self_attention"]},
             {**norm, "name": "feedforward_layernorm"}, *ffn,
             {"type": "Add", "name": "feedforward_residual", "inputs": ["self_attention_residual", ffn[-1]["name"]]}]
    tie = config.get("tie_word_embeddings")
    layers = [{"type": "ReversibleEmbedding", "name": "token_embedding",
               "input_dim": _size(config, "vocabulary_size", where), "output_dim": _size(config, "hidden_dim", where),
               "tie_weights": tied if tie is None else bool(tie)},
              *({"type": decoder, "name": f"transformer_layer_{index}"} for index in range(_layers(config, where))),
              {**norm, "name": "sequence_output_layernorm"}]
    return {"name": config.get("name") or name, "batch": "B",
            "inputs": {"token_ids": {"shape": ["T"], "dtype": "int32"}}, "blocks": {decoder: {"layers": block}},
            "layers": layers}


def llama(config: Dict[str, Any], where: Location) -> dict:
    return decoder_backbone(config, where, "llama_backbone", "LlamaTransformerDecoder")


def llama3(config: Dict[str, Any], where: Location) -> dict:
    """Llama3Backbone: LlamaBackbone's layers (Keras Hub's subclass)."""
    return decoder_backbone(config, where, "llama3_backbone", "LlamaTransformerDecoder")


def mistral(config: Dict[str, Any], where: Location) -> dict:
    return decoder_backbone(config, where, "mistral_backbone", "MistralTransformerDecoder")


def qwen(config: Dict[str, Any], where: Location) -> dict:
    """QwenBackbone (Qwen2): the embedding tied by default, QwenAttention."""
    return decoder_backbone(config, where, "qwen_backbone", "QwenTransformerDecoder", qwen_attention, tied=True)


def qwen3(config: Dict[str, Any], where: Location) -> dict:
    """Qwen3Backbone: the embedding tied by default, Qwen3Attention (query and key norms, head_dim given)."""
    return decoder_backbone(config, where, "qwen3_backbone", "Qwen3TransformerDecoder", qwen3_attention, tied=True)


def phi3(config: Dict[str, Any], where: Location) -> dict:
    """Phi3Backbone: the embedding untied, Llama's attention and feed-forward (Keras Hub's Phi3Decoder)."""
    return decoder_backbone(config, where, "phi3_backbone", "Phi3Decoder")


def mixtral(config: Dict[str, Any], where: Location) -> dict:
    """MixtralBackbone: Mistral's layers with a mixture of experts for the feed-forward."""
    return decoder_backbone(config, where, "mixtral_backbone", "MixtralTransformerDecoder",
                            feedforward=mixture_of_experts)


def gemma(config: Dict[str, Any], where: Location, name: str = "gemma_backbone", decoder: str = "GemmaDecoderBlock",
          gate_dim_reduction: int = 2, query_key_norm: bool = False) -> dict:
    """GemmaBackbone: a tied ReversibleEmbedding, its output scaled by √hidden_dim (an operation, no layer:
    left out, as the padding mask), decoder_block layers, each a block of Keras Hub's sublayers: RMS norms
    (pre_attention_norm, pre_ffw_norm; post_attention_norm, post_ffw_norm with use_post_attention_norm,
    use_post_ffw_norm), grouped-query attention without biases (head_dim given), a GeGLU feed-forward of
    intermediate_dim // gate_dim_reduction without biases; final_normalization."""
    norm = {"type": "RMSNormalization", "epsilon": config.get("layer_norm_epsilon", 1e-06)}
    width, heads = _size(config, "hidden_dim", where), _size(config, "num_query_heads", where)
    sizes = {"num_query_heads": heads, "num_key_value_heads": _size(config, "num_key_value_heads", where, heads),
             "head_dim": _size(config, "head_dim", where)}
    attention = ({"type": "Qwen3Attention", **sizes, "layer_norm_epsilon": norm["epsilon"],
                  "inputs": ["pre_attention_norm"]} if query_key_norm else
                 {"type": "GroupQueryAttention", **sizes, "use_bias": False, "use_causal_mask": True,
                  "inputs": ["pre_attention_norm", "pre_attention_norm"]})
    post_attention = [{**norm, "name": "post_attention_norm"}] if config.get("use_post_attention_norm") else []
    post_ffw = [{**norm, "name": "post_ffw_norm"}] if config.get("use_post_ffw_norm") else []
    gate = _size(config, "intermediate_dim", where) // gate_dim_reduction
    block = [{**norm, "name": "pre_attention_norm"}, {**attention, "name": "attention"}, *post_attention,
             {"type": "Add", "name": "attention_residual", "inputs": ["input", (post_attention or [{"name": "attention"}])[-1]["name"]]},
             {**norm, "name": "pre_ffw_norm"},
             {"type": "Dense", "name": "ffw_gating", "units": gate, "use_bias": False, "activation": "gelu"},
             {"type": "Dense", "name": "ffw_gating_2", "units": gate, "use_bias": False, "inputs": ["pre_ffw_norm"]},
             {"type": "Multiply", "name": "ffw_gated", "inputs": ["ffw_gating", "ffw_gating_2"]},
             {"type": "Dense", "name": "ffw_linear", "units": width, "use_bias": False}, *post_ffw,
             {"type": "Add", "name": "ffw_residual", "inputs": ["attention_residual", (post_ffw or [{"name": "ffw_linear"}])[-1]["name"]]}]
    layers = [{"type": "ReversibleEmbedding", "name": "token_embedding",
               "input_dim": _size(config, "vocabulary_size", where), "output_dim": width},
              *({"type": decoder, "name": f"decoder_block_{index}"} for index in range(_layers(config, where))),
              {**norm, "name": "final_normalization"}]
    return {"name": config.get("name") or name, "batch": "B",
            "inputs": {"token_ids": {"shape": ["T"], "dtype": "int32"}}, "blocks": {decoder: {"layers": block}},
            "layers": layers}


def gemma3(config: Dict[str, Any], where: Location) -> dict:
    """Gemma3Backbone: Gemma's layers with a feed-forward of intermediate_dim and, with use_query_key_norm (the
    default), an RMS norm of each query and key head (Qwen3Attention's figures); with a vision_encoder, its
    image tokens placed among the text's (gemma3_vision)."""
    if config.get("is_embedding_model"):
        raise SpecError("Gemma3Backbone with an embedding model is not supported: layercalc rebuilds the Gemma3Backbone "
                        "of a language model ('is_embedding_model' must be false)", location=where)
    spec = gemma(config, where, "gemma3_backbone", "Gemma3DecoderBlock", 1, config.get("use_query_key_norm", True))
    return spec if not config.get("vision_encoder") else gemma3_vision(spec, config, where)


def gemma3_vision(spec: dict, config: Dict[str, Any], where: Location) -> dict:
    """A Gemma3Backbone's Gemma3VisionEncoder (a SigLIP vision transformer) and Gemma3InterleaveEmbeddings. Images
    (B, N, S, S, 3), N per prompt: the encoder runs on each image (TimeDistributed convolution and pooling,
    attention over each image's patches), so the figures per example are the prompt's; its output is reshaped to
    Keras Hub's (B·N, tokens per image, hidden_dim), which the interleaving scatters into the text embeddings
    at vision_indices (V = N · tokens per image). The vision_mask input, which changes no count, is left out."""
    saved = config["vision_encoder"]
    if not isinstance(saved, dict) or saved.get("class_name") != "Gemma3VisionEncoder" or \
            not isinstance(saved.get("config"), dict):
        found = saved.get("class_name") if isinstance(saved, dict) else saved
        raise SpecError(f"Gemma3Backbone's 'vision_encoder' must be a saved Gemma3VisionEncoder, found "
                        f"{describe(found)}", location=where)
    vision = saved["config"]
    width, heads, image = (_size(vision, key, where) for key in ("hidden_dim", "num_heads", "image_size"))
    patch, pool, output = (_size(vision, "patch_size", where), _size(vision, "pool_size", where, 14),
                           _size(vision, "output_dim", where))
    grid = image // patch
    problems = [(width % heads, f"'hidden_dim' {width} must be divisible by 'num_heads' {heads}"),
                (output != _size(config, "hidden_dim", where),
                 f"'output_dim' {output} must be the backbone's hidden_dim {config['hidden_dim']}"),
                (image != _size(config, "image_size", where),
                 f"'image_size' {image} must be the backbone's image_size {config['image_size']}"),
                (grid % pool or not grid, f"the {grid} × {grid} patches ('image_size' // 'patch_size') must be a "
                                          f"whole number of 'pool_size' {pool} windows")]
    for failed, problem in problems:
        if failed:
            raise SpecError(f"Gemma3VisionEncoder's {problem}", location=where)
    tokens = (grid // pool) ** 2
    norm = {"type": "LayerNormalization", "epsilon": vision.get("layer_norm_epsilon", 1e-06)}
    blocks = {
        "Gemma3VisionEncoderLayer": {"layers": [
            {**norm, "name": "layer_norm_1"},
            {"type": "MultiHeadAttention", "name": "multi_head_attention", "num_heads": heads,
             "key_dim": width // heads, "attention_axes": [2], "inputs": ["layer_norm_1", "layer_norm_1"]},
            {"type": "Add", "name": "attention_residual", "inputs": ["input", "multi_head_attention"]},
            {**norm, "name": "layer_norm_2"},
            {"type": "Dense", "name": "mlp_dense_1", "units": _size(vision, "intermediate_dim", where),
             "activation": "gelu"},
            {"type": "Dense", "name": "mlp_dense_2", "units": width},
            {"type": "Add", "name": "mlp_residual", "inputs": ["attention_residual", "mlp_dense_2"]}]},
        "Gemma3VisionEncoderBlock": {"layers": [
            {"type": "TimeDistributed", "name": "embedding_conv",
             "layer": {"type": "Conv2D", "filters": width, "kernel_size": patch, "strides": patch}},
            {"type": "Reshape", "name": "patches", "target_shape": [-1, grid * grid, width]},
            {"type": "PositionEmbedding", "name": "position_embedding", "sequence_length": grid * grid},
            {"type": "Add", "name": "embeddings_add", "inputs": ["patches", "position_embedding"]},
            *({"type": "Gemma3VisionEncoderLayer", "name": f"encoder_block_{index}"}
              for index in range(_layers(vision, where))),
            {**norm, "name": "encoder_layer_norm"}]},
        "Gemma3VisionAveragePooling": {"layers": [
            {"type": "Reshape", "name": "grid", "target_shape": [-1, grid, grid, width]},
            {"type": "TimeDistributed", "name": "average_pooling",
             "layer": {"type": "AveragePooling2D", "pool_size": pool, "strides": pool}},
            {"type": "Reshape", "name": "tokens", "target_shape": [-1, tokens, width]}]},
        "Gemma3VisionOutput": {"layers": [
            {"type": "RMSNormalization", "name": "vision_soft_embedding_norm", "epsilon": norm["epsilon"]},
            {"type": "Dense", "name": "vision_input_projection", "units": output, "use_bias": False}]},
        "Gemma3VisionEncoder": {"layers": [
            {"type": "Gemma3VisionEncoderBlock", "name": "image_encoder"},
            {"type": "Gemma3VisionAveragePooling", "name": "pooling"},
            {"type": "Gemma3VisionOutput", "name": "vision_output_encoder"},
            {"type": "ops.reshape", "name": "image_tokens", "newshape": [-1, tokens, output]}]}}
    encoder = vision.get("name") or "gemma3_vision_encoder"
    embedding, *decoders = spec["layers"]
    layers = [{**embedding, "inputs": ["token_ids"]},
              {"type": "Gemma3VisionEncoder", "name": encoder, "inputs": ["images"]},
              {"type": "Gemma3InterleaveEmbeddings", "name": "interleave_embeddings",
               "num_vision_tokens_per_image": tokens, "inputs": [encoder, "token_embedding", "vision_indices"]},
              *decoders]
    inputs = {**spec["inputs"], "images": {"shape": ["N", image, image, 3]},
              "vision_indices": {"shape": ["V"], "dtype": "int32"}}
    return {**spec, "inputs": inputs, "blocks": {**spec["blocks"], **blocks}, "layers": layers}


MAX_BACKBONE_LAYERS = 10_000  # each layer is listed (Keras Hub names them transformer_layer_0, 1, ...)


def _layers(config: Dict[str, Any], where: Location) -> int:
    layers = _size(config, "num_layers", where)
    if layers > MAX_BACKBONE_LAYERS:
        raise SpecError(f"the backbone's num_layers {layers:,} is more than layercalc lists ({MAX_BACKBONE_LAYERS:,})",
                        location=where)
    return layers


BACKBONES: Dict[str, Callable[[Dict[str, Any], Location], dict]] = {
    "GPT2Backbone": gpt2, "BertBackbone": bert, "LlamaBackbone": llama, "MistralBackbone": mistral,
    "Llama3Backbone": llama3, "QwenBackbone": qwen, "Qwen3Backbone": qwen3, "Phi3Backbone": phi3,
    "MixtralBackbone": mixtral, "GemmaBackbone": gemma, "Gemma3Backbone": gemma3}


def as_block(spec: dict, class_name: str) -> dict:
    """A backbone's spec as one block instance named as Keras Hub names the backbone (gpt2_backbone, ...),
    of a block named after its class, as a task calls it: {"blocks": ..., "layer": the instance}."""
    block = {"inputs": list(spec["inputs"]), "layers": spec["layers"],
             **({"output": spec["outputs"][-1]} if "outputs" in spec else {})}
    return {"blocks": {**spec.get("blocks", {}), class_name: block},
            "layer": {"type": class_name, "name": spec["name"], "inputs": list(spec["inputs"])}, "inputs": spec["inputs"]}


def causal_lm(backbone: dict, config: Dict[str, Any], where: Location) -> List[dict]:
    """Every ...CausalLM (GPT2CausalLM, LlamaCausalLM, ...): the backbone, then its token embedding called again
    in reverse (backbone.token_embedding(x, reverse=True)), the logits; no arguments of their own."""
    return [{"call": f"{backbone['name']}/token_embedding", "name": "token_embedding", "reverse": True}]


def text_classifier(backbone: dict, config: Dict[str, Any], where: Location) -> List[dict]:
    """BertTextClassifier: the backbone's pooled_output, classifier_dropout and logits, Dense(num_classes)."""
    return [{"type": "Dropout", "name": "classifier_dropout", "rate": config.get("dropout", 0.1)},
            {"type": "Dense", "name": "logits", "units": _size(config, "num_classes", where),
             "activation": config.get("activation") or "linear"}]


# A TextEmbedder's pooling_mode -> the operation that pools its sequence output (B, T, d) to (B, d): masked by
# the padding mask in Keras Hub, which changes no shape or count and is left out (sum of the sequence times the
# last token's mask for "last"; x[:, 0, :] for "cls").
POOLING = {"mean": {"type": "ops.mean", "axis": 1}, "max": {"type": "ops.max", "axis": 1},
           "cls": {"type": "ops.get_item", "key": ":, 0"}, "last": {"type": "ops.sum", "axis": 1}}


def text_embedder(backbone: dict, config: Dict[str, Any], where: Location, modes: Tuple[str, ...],
                  default: str, sequence: str = "") -> List[dict]:
    """BertTextEmbedder (pooling_mode mean, cls or max), Gemma3TextEmbedder and Qwen3TextEmbedder (last or mean):
    the backbone's sequence output pooled over positions, then L2-normalized (normalize, default true) as a
    UnitNormalization; no weights. sequence: the layer giving the sequence output when the backbone's own output
    is another (BERT's pooled_dense)."""
    mode = config.get("pooling_mode") or default
    if mode not in modes:
        raise SpecError(f"{backbone['type'].replace('Backbone', 'TextEmbedder')}'s 'pooling_mode' must be one of "
                        f"{', '.join(modes)}, found {describe(mode)}{closest(str(mode), modes)}", location=where)
    pooling = {**POOLING[mode], "name": f"{mode}_pooling", "inputs": [sequence or backbone["name"]]}
    normalize = config.get("normalize", True)
    return [pooling, *([{"type": "UnitNormalization", "name": "l2_normalize", "axis": -1}] if normalize else [])]


def bert_text_embedder(backbone: dict, config: Dict[str, Any], where: Location) -> List[dict]:
    last = _layers(config["backbone"]["config"], where) - 1
    return text_embedder(backbone, config, where, ("mean", "cls", "max"), "mean",
                         f"{backbone['name']}/transformer_layer_{last}")


def decoder_text_embedder(backbone: dict, config: Dict[str, Any], where: Location) -> List[dict]:
    return text_embedder(backbone, config, where, ("last", "mean"), "last")


# a task -> (the backbone class it is built on, the layers it adds after the backbone)
TASKS: Dict[str, Tuple[str, Callable[[dict, Dict[str, Any], Location], List[dict]]]] = {
    "GPT2CausalLM": ("GPT2Backbone", causal_lm), "LlamaCausalLM": ("LlamaBackbone", causal_lm),
    "MistralCausalLM": ("MistralBackbone", causal_lm), "Llama3CausalLM": ("Llama3Backbone", causal_lm),
    "QwenCausalLM": ("QwenBackbone", causal_lm), "Qwen3CausalLM": ("Qwen3Backbone", causal_lm),
    "Phi3CausalLM": ("Phi3Backbone", causal_lm), "MixtralCausalLM": ("MixtralBackbone", causal_lm),
    "GemmaCausalLM": ("GemmaBackbone", causal_lm), "Gemma3CausalLM": ("Gemma3Backbone", causal_lm),
    "BertTextClassifier": ("BertBackbone", text_classifier), "BertTextEmbedder": ("BertBackbone", bert_text_embedder),
    "Gemma3TextEmbedder": ("Gemma3Backbone", decoder_text_embedder),
    "Qwen3TextEmbedder": ("Qwen3Backbone", decoder_text_embedder)}


def task_spec(class_name: str, config: Dict[str, Any], where: Location) -> dict:
    """A Keras Hub task: its saved config holds the backbone's, nested, and the task's own arguments. The
    backbone is one block instance (its row at --depth 1, as model.summary() lists it), the task's layers after."""
    backbone_class, head = TASKS[class_name]
    saved = config.get("backbone")
    if not isinstance(saved, dict) or saved.get("class_name") != backbone_class or not isinstance(saved.get("config"), dict):
        found = saved.get("class_name") if isinstance(saved, dict) else saved
        raise SpecError(f"{class_name}'s 'backbone' must be a saved {backbone_class}, found {describe(found)}",
                        location=where)
    backbone = as_block(BACKBONES[backbone_class](saved["config"], where), backbone_class)
    layers = [backbone["layer"], *head(backbone["layer"], config, where)]
    # A head that reads another of the backbone's layers (a BERT embedder, its sequence output) leaves the
    # backbone's own output (pooled_dense) unread: it stays an output, as every layer of a spec leads to one.
    name = backbone["layer"]["name"]
    unread = layers[1].get("inputs", [name]) != [name]
    return {"name": config.get("name") or class_name, "batch": "B", "inputs": backbone["inputs"],
            "blocks": backbone["blocks"], "layers": layers,
            **({"outputs": [layers[-1]["name"], name]} if unread else {})}


def is_backbone(entry: Any) -> bool:
    """A saved Keras Hub model (registered_name keras_hub>...) whose config holds only constructor arguments."""
    return (isinstance(entry, dict) and isinstance(entry.get("registered_name"), str)
            and entry["registered_name"].startswith("keras_hub>") and isinstance(entry.get("config"), dict)
            and "layers" not in entry["config"])


def backbone_spec(entry: Dict[str, Any], where: Location) -> dict:
    class_name = entry.get("class_name")
    if class_name in TASKS:
        return task_spec(class_name, entry["config"], where)
    if class_name not in BACKBONES:
        known = [*BACKBONES, *TASKS]
        raise SpecError(f"Keras Hub model {describe(class_name)} is not supported: layercalc rebuilds "
                        f"{', '.join(known)}{closest(str(class_name), known)}", location=where)
    return BACKBONES[class_name](entry["config"], where)
