using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// One thread's 4 tokens × 4 output rows of <see cref="TiledMatMulKernel"/>, in registers (ILGPU kernels have no
/// register arrays, hence sixteen fields).
/// </summary>
internal readonly struct OutputTile
{
    private readonly float _a00, _a01, _a02, _a03, _a10, _a11, _a12, _a13, _a20, _a21, _a22, _a23, _a30, _a31, _a32, _a33;

    private OutputTile(
        float a00, float a01, float a02, float a03,
        float a10, float a11, float a12, float a13,
        float a20, float a21, float a22, float a23,
        float a30, float a31, float a32, float a33)
    {
        _a00 = a00; _a01 = a01; _a02 = a02; _a03 = a03;
        _a10 = a10; _a11 = a11; _a12 = a12; _a13 = a13;
        _a20 = a20; _a21 = a21; _a22 = a22; _a23 = a23;
        _a30 = a30; _a31 = a31; _a32 = a32; _a33 = a33;
    }

    /// <summary>The outer product of four x̂ values (tokens) and four weights (rows) added.</summary>
    public OutputTile Add(float x0, float x1, float x2, float x3, float w0, float w1, float w2, float w3) => new(
        _a00 + (x0 * w0), _a01 + (x0 * w1), _a02 + (x0 * w2), _a03 + (x0 * w3),
        _a10 + (x1 * w0), _a11 + (x1 * w1), _a12 + (x1 * w2), _a13 + (x1 * w3),
        _a20 + (x2 * w0), _a21 + (x2 * w1), _a22 + (x2 * w2), _a23 + (x2 * w3),
        _a30 + (x3 * w0), _a31 + (x3 * w1), _a32 + (x3 * w2), _a33 + (x3 * w3));

    /// <summary>Stores the tile's in-range outputs (tokens from <paramref name="token"/>, rows from <paramref name="row"/>).</summary>
    public void Store(ArrayView<float> y, ArrayView<ushort> bias, MatMulShape shape, int token, int row)
    {
        StoreToken(y, bias, shape, token, row, _a00, _a01, _a02, _a03);
        StoreToken(y, bias, shape, token + 1, row, _a10, _a11, _a12, _a13);
        StoreToken(y, bias, shape, token + 2, row, _a20, _a21, _a22, _a23);
        StoreToken(y, bias, shape, token + 3, row, _a30, _a31, _a32, _a33);
    }

    private static void StoreToken(ArrayView<float> y, ArrayView<ushort> bias, MatMulShape shape, int token, int row, float v0, float v1, float v2, float v3)
    {
        if (token >= shape.Tokens)
        {
            return;
        }

        StoreOne(y, bias, shape, token, row, v0);
        StoreOne(y, bias, shape, token, row + 1, v1);
        StoreOne(y, bias, shape, token, row + 2, v2);
        StoreOne(y, bias, shape, token, row + 3, v3);
    }

    private static void StoreOne(ArrayView<float> y, ArrayView<ushort> bias, MatMulShape shape, int token, int row, float value)
    {
        if (row < shape.N)
        {
            MatMulKernel.Store(y, shape, token, row, shape.BiasType == WeightType.None ? value : value + WeightLoads.Load(bias, row, shape.BiasType));
        }
    }
}
