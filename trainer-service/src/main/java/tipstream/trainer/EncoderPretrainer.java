package tipstream.trainer;

import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.jboss.logging.Logger;
import tipstream.dataset.BlobStore;
import tipstream.dataset.ObjectKeys;
import tipstream.dataset.RandomAugmentation;
import tipstream.model.EncoderPretraining;
import tipstream.model.TipNetConfig;
import tipstream.v1.ShardEntry;

/**
 * Pretrains the encoder of a network shape by masked reconstruction ({@link EncoderPretraining})
 * on the frames of the given shards (their labels unused), drawn through the trainer's own
 * {@link PrefetchingLoader} with its random augmentation, and stores it in S3 under its content:
 * {@code encoders/<sha256>.zip}. A training run starts from it with {@code tipstream.trainer.encoder}.
 */
public final class EncoderPretrainer {
    private static final Logger LOG = Logger.getLogger(EncoderPretrainer.class);
    /** Share of the 16 x 16 blocks blanked in each frame. */
    static final double MASK_SHARE = 0.4;

    private EncoderPretrainer() {
    }

    /** Pretrains for {@code steps} batches and returns the stored encoder's key. */
    public static String pretrain(BlobStore blobs, List<ShardEntry> shards, TipNetConfig net,
            Optional<RandomAugmentation> augmentation, double frameWidth, double frameHeight, int batchSize, long steps,
            LearningRateSchedule schedule, long seed, int decodeThreads) throws Exception {
        EncoderPretraining pretraining = new EncoderPretraining(net, MASK_SHARE);
        Random masks = new Random(seed);
        double loss = Double.NaN;
        try (PrefetchingLoader loader = new PrefetchingLoader(new VerifiedShards(blobs::get, shards),
                shards.stream().map(ShardEntry::getKey).toList(), net.encoding(frameWidth, frameHeight), augmentation,
                net.inputHeight(), net.inputWidth(), batchSize, seed, 4, decodeThreads, 0, 0, Integer.MAX_VALUE / 2)) {
            for (long step = 1; step <= steps; step++) {
                TrainingBatch batch = loader.next();
                pretraining.setLearningRate(schedule.at(step));
                loss = pretraining.fit(batch.input(), masks);
                if (step % 50 == 0 || step == steps) {
                    LOG.infof("encoder pretraining step %d/%d, reconstruction loss %.5f", step, steps, loss);
                }
            }
        }
        byte[] bytes = pretraining.encoder().toBytes();
        String key = ObjectKeys.encoder(bytes);
        blobs.put(key, bytes, "application/zip");
        LOG.infof("pretrained encoder stored at %s (%d steps, reconstruction loss %.5f)", key, steps, loss);
        return key;
    }
}
