package org.nd4j.nativeblas;

/**
 * Compatibility shim for DL4J 1.0.0-M2.1 (STACK-NOTES): its layer helpers ask, by reflection,
 * {@code org.nd4j.nativeblas.Nd4jCpu$Environment#isUseMKLDNN()} whether oneDNN is on, but ND4J
 * moved that class and renamed the method. Without an answer, convolution and batch norm skip
 * oneDNN and train about 10x slower than PyTorch on CPU. This answers under the old name from
 * the new binding.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** The old name DL4J looks up. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        public static Environment getInstance() {
            return INSTANCE;
        }

        public boolean isUseMKLDNN() {
            return org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().isUseONEDNN();
        }
    }
}
