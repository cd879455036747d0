"""The app on a small fixed catalog, for snapshot tests: the screen must not change when the
real catalog grows. One model (DeepSeek R1 Distill Llama 8B, from its config.json), a few
quantizations, GPUs and devices with their published figures."""

from __future__ import annotations

from vramtui.catalog.entries import DeviceEntry, GpuEntry, ModelEntry, QuantEntry
from vramtui.catalog.loader import Catalog
from vramtui.tui.app import VramApp

MODEL_ID = "deepseek-r1-distill-llama-8b"
GGUF_RUNTIMES = ("llama.cpp", "Ollama", "LM Studio")
SOURCE = "tests/app/snapshot_app.py (fixed test data)"


def fixed_catalog() -> Catalog:
    model = ModelEntry(
        id=MODEL_ID,
        name="DeepSeek R1 Distill Llama 8B",
        hf_repo="deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
        publisher="DeepSeek",
        family="Llama",
        params=8030261248,
        params_exact=True,
        source="https://huggingface.co/deepseek-ai/DeepSeek-R1-Distill-Llama-8B/blob/main/config.json",
        license="MIT",
        tags=("Chat", "Reasoning"),
        description="R1's reasoning distilled into Llama 3.1 8B.",
        config={
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
            "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
            "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072,
            "tie_word_embeddings": False, "rope_scaling": {"rope_type": "llama3", "factor": 8.0},
        },
    )
    quants = [
        QuantEntry(name="IQ2_XXS", kind="gguf", ftype="IQ2_XXS", nominal_bits=2.2, quality=37, runtimes=GGUF_RUNTIMES),
        QuantEntry(name="Q3_K_M", kind="gguf", ftype="Q3_K_M", nominal_bits=3.9, quality=55, runtimes=GGUF_RUNTIMES),
        QuantEntry(name="Q4_K_M", kind="gguf", ftype="Q4_K_M", nominal_bits=4.8, quality=70, runtimes=GGUF_RUNTIMES),
        QuantEntry(name="Q5_K_M", kind="gguf", ftype="Q5_K_M", nominal_bits=5.7, quality=80, runtimes=GGUF_RUNTIMES),
        QuantEntry(name="Q6_K", kind="gguf", ftype="Q6_K", nominal_bits=6.6, quality=88, runtimes=GGUF_RUNTIMES),
        QuantEntry(name="Q8_0", kind="gguf", ftype="Q8_0", nominal_bits=8.0, quality=95, runtimes=GGUF_RUNTIMES),
        QuantEntry(name="BF16", kind="gguf", ftype="BF16", nominal_bits=16.0, quality=100, runtimes=GGUF_RUNTIMES),
        QuantEntry(name="FP8", kind="gpu", bits=8.0, nominal_bits=8.0, quality=94, runtimes=("vLLM", "SGLang")),
    ]
    gpus = [
        GpuEntry(id="rtx-3060-12gb", name="NVIDIA GeForce RTX 3060 12GB", vendor="NVIDIA", memory_gb=12,
                 bandwidth_gbps=360, fp16_tflops=51.2, segment="consumer", year=2021, source=SOURCE),
        GpuEntry(id="rtx-4060-8gb", name="NVIDIA GeForce RTX 4060", vendor="NVIDIA", memory_gb=8,
                 bandwidth_gbps=272, fp16_tflops=60.5, segment="consumer", year=2023, source=SOURCE),
        GpuEntry(id="rtx-4090", name="NVIDIA GeForce RTX 4090", vendor="NVIDIA", memory_gb=24,
                 bandwidth_gbps=1008, fp16_tflops=165.2, segment="consumer", year=2022, source=SOURCE),
        GpuEntry(id="rx-7900-xtx", name="AMD Radeon RX 7900 XTX", vendor="AMD", memory_gb=24,
                 bandwidth_gbps=960, fp16_tflops=122.8, segment="consumer", year=2022, source=SOURCE),
        GpuEntry(id="h100-sxm", name="NVIDIA H100 SXM", vendor="NVIDIA", memory_gb=80,
                 bandwidth_gbps=3350, fp16_tflops=989.4, segment="datacenter", year=2023, source=SOURCE),
    ]
    devices = [
        DeviceEntry(id="macbook-air-m2-8gb", name='MacBook Air 13" M2 (8 GB)', vendor="Apple", kind="apple",
                    chip="M2", memory_gb=8, bandwidth_gbps=100, year=2022, source=SOURCE),
        DeviceEntry(id="mac-studio-m2-ultra-64gb", name="Mac Studio M2 Ultra (64 GB)", vendor="Apple",
                    kind="apple", chip="M2 Ultra", memory_gb=64, bandwidth_gbps=800, year=2023, source=SOURCE),
        DeviceEntry(id="dgx-spark", name="NVIDIA DGX Spark", vendor="NVIDIA", kind="unified", memory_gb=128,
                    bandwidth_gbps=273, fp16_tflops=125, year=2025, source=SOURCE),
    ]
    return Catalog(
        models={model.id: model},
        quants={q.name: q for q in quants},
        gpus={g.id: g for g in gpus},
        devices={d.id: d for d in devices},
    )


def make_app(target: str | None = None, **options) -> VramApp:
    """The app on the fixed catalog; `options` as VramApp takes them (context, quant, kv_type, gpus)."""
    return VramApp(fixed_catalog(), model_id=MODEL_ID, target_id=target, **options)


app = make_app()

if __name__ == "__main__":
    app.run()
