namespace Memory.Inference.Decoding;

/// <summary>Which ILGPU accelerator the decoder runs on.</summary>
public enum AcceleratorPreference
{
    /// <summary>CUDA when a CUDA device is present, the CPU accelerator otherwise.</summary>
    Auto,

    /// <summary>CUDA only; fails when no CUDA device is present.</summary>
    Cuda,

    /// <summary>ILGPU's CPU accelerator (slow; for tests and machines without a GPU).</summary>
    Cpu,
}
