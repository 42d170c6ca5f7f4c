package tipstream.trainer;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import tipstream.dataset.FrameResize;
import tipstream.dataset.PngFrameCodec;
import tipstream.dataset.RandomAugmentation;
import tipstream.dataset.Shard;
import tipstream.model.FrameTensor;
import tipstream.model.TipEncoding;
import tipstream.model.TipPrediction;
import tipstream.model.TipRefiner;
import tipstream.v1.DatasetSample;

/**
 * Feeds training from dataset shards so the model never waits for data when the data path is
 * faster than the model (BACKGROUND.md: parallel parsing plus prefetching is what paid off).
 * Each epoch shuffles the shard order; shards are fetched and their PNGs decoded on a pool of
 * threads, a window of shards (at least {@link #WINDOW_SAMPLES} samples) is shuffled together, and
 * whole batches wait in a bounded queue. A sample's PNG is decoded when its batch is drawn; shards
 * are kept in memory, decoded, while their frames fit a budget of bytes (shards are immutable), so
 * later epochs neither fetch nor decode them again: decoding a full-size PNG costs more than
 * drawing the sample's augmentation.
 * The order is a function of (seed, epoch, shard list), so a run restarted at (epoch, samples
 * into epoch) sees exactly the batches it would have seen. Shards added while training join at
 * the next epoch. The time {@link #next} blocks on an empty queue is measured: it is the data-wait time.
 */
public final class PrefetchingLoader implements AutoCloseable {
    /**
     * Samples shuffled together: a window takes shards until it holds this many (four of the
     * 256-sample shards versions once had; a few hundred of one small capture each).
     */
    private static final int WINDOW_SAMPLES = 1024;
    /** Shards fetched and decoded at once. */
    private static final int SHARDS_PER_FETCH = 4;

    private final ShardSource source;
    private volatile List<String> shardKeys;
    private final TipEncoding encoding;
    /** The refining stage's crops' encoding, when the network refines ({@link TipRefiner}). */
    private final Optional<TipEncoding> refinerEncoding;
    private final Optional<RandomAugmentation> augmentation;
    private final int inputHeight;
    private final int inputWidth;
    private final int batchSize;
    private final long seed;
    private final BlockingQueue<Object> queue;
    private final ExecutorService decoders;
    /** Shards by key, while their frames (at the frame size) fit in {@code cacheBytes}. */
    private final Map<String, List<Decoded>> cache = new ConcurrentHashMap<>();
    private final long cacheBytes;
    private final AtomicLong cachedBytes = new AtomicLong();
    private final Thread producer;
    private final AtomicLong waitNanos = new AtomicLong();
    /** The first stage's confusers of each sample by {@link #id} ({@link TipRefiner#confusers}), as last found. */
    private volatile Map<String, List<TipPrediction>> confusers = Map.of();
    private volatile boolean closed;
    /** Why the producer stopped, if it failed: kept apart from the queue, which may be full. */
    private volatile RuntimeException failure;

    private static final Object END = new Object();

    public PrefetchingLoader(ShardSource source, List<String> shardKeys, TipEncoding encoding,
            Optional<RandomAugmentation> augmentation, int inputHeight, int inputWidth,
            int batchSize, long seed, int prefetchBatches, int decodeThreads, int startEpoch, long startSamplesIntoEpoch,
            int epochs) {
        this(source, shardKeys, encoding, Optional.empty(), augmentation, inputHeight, inputWidth, batchSize, seed,
                prefetchBatches, decodeThreads, 0, startEpoch, startSamplesIntoEpoch, epochs);
    }

    /**
     * A loader whose batches also carry, for each sample, a crop of the frame at full resolution
     * near its tip for the refining stage ({@link TipRefiner#draw}), encoded by {@code refinerEncoding};
     * up to {@code cacheBytes} of decoded frames are kept for later epochs (0: none).
     */
    public PrefetchingLoader(ShardSource source, List<String> shardKeys, TipEncoding encoding,
            Optional<TipEncoding> refinerEncoding, Optional<RandomAugmentation> augmentation, int inputHeight,
            int inputWidth, int batchSize, long seed, int prefetchBatches, int decodeThreads, long cacheBytes,
            int startEpoch, long startSamplesIntoEpoch, int epochs) {
        this.source = source;
        this.shardKeys = List.copyOf(shardKeys);
        this.encoding = encoding;
        this.refinerEncoding = refinerEncoding;
        this.augmentation = augmentation;
        this.inputHeight = inputHeight;
        this.inputWidth = inputWidth;
        this.batchSize = batchSize;
        this.seed = seed;
        this.cacheBytes = cacheBytes;
        this.queue = new ArrayBlockingQueue<>(prefetchBatches);
        this.decoders = Executors.newFixedThreadPool(decodeThreads, r -> {
            Thread t = new Thread(r, "shard-decoder");
            t.setDaemon(true);
            return t;
        });
        this.producer = new Thread(() -> produce(startEpoch, startSamplesIntoEpoch, epochs), "batch-prefetcher");
        this.producer.setDaemon(true);
        this.producer.start();
    }

    /** Shards announced while training; they are read from the next epoch on. */
    public synchronized void addShards(List<String> keys) {
        List<String> next = new ArrayList<>(shardKeys);
        keys.stream().filter(key -> !next.contains(key)).forEach(next::add);
        shardKeys = List.copyOf(next);
    }

    /** A new dataset version's shards, read instead of the current ones from the next epoch on. */
    public void replaceShards(List<String> keys) {
        shardKeys = List.copyOf(keys);
    }

    /**
     * The next batch, or null when the requested epochs are done; once the batches loaded before a
     * failure are used up, the failure (a shard that cannot be fetched or read).
     */
    public TrainingBatch next() throws InterruptedException {
        // A batch already queued is no wait, even when taking it wakes the producer and the scheduler
        // runs that first: on 2 cores that preemption was most of what the wait used to count
        // (BENCHMARKS.md, "Training from S3 shards").
        Object item = queue.poll();
        if (item == null) {
            long t0 = System.nanoTime();
            try {
                while ((item = queue.poll(100, TimeUnit.MILLISECONDS)) == null) {
                    if (failure != null && queue.isEmpty()) {
                        throw failure;
                    }
                    if (!producer.isAlive() && queue.isEmpty()) {
                        throw new IllegalStateException(
                                "the batch prefetcher stopped" + (closed ? ": loader closed" : ""));
                    }
                }
            } finally {
                waitNanos.addAndGet(System.nanoTime() - t0);
            }
        }
        if (item == END) {
            queue.put(END); // later calls see the end too
            return null;
        }
        return (TrainingBatch) item;
    }

    /**
     * A sample of a kept shard, decoded, with its frame at the network's input size (as drawn, before
     * augmentation; a frame of another size is scaled to the input where it is looked at).
     */
    public record Kept(String id, DatasetSample sample, BufferedImage input) {
    }

    /** The samples of kept shards drawn so far (decoded): what the trainer can look at without fetching. */
    public List<Kept> kept() {
        List<Kept> kept = new ArrayList<>();
        for (List<Decoded> shard : cache.values()) {
            for (Decoded d : shard) {
                d.ifDrawn().ifPresent(input -> kept.add(new Kept(id(d.sample()), d.sample(), input)));
            }
        }
        return kept;
    }

    /**
     * Where the first stage confuses each sample's tip with something else ({@link Kept#id} to its places
     * in frame pixels): the refining stage's crops of those samples go there too from the next batch on
     * ({@link TipRefiner#draw}); replaces what was set before.
     */
    public void confusers(Map<String, List<TipPrediction>> byId) {
        confusers = Map.copyOf(byId);
    }

    /** Total time callers of {@link #next} spent waiting for data (no batch was queued), in nanoseconds. */
    public long waitNanos() {
        return waitNanos.get();
    }

    /** Whole batches made and waiting to be taken. */
    int queuedBatches() {
        return (int) queue.stream().filter(item -> item != END).count();
    }

    private void produce(int startEpoch, long skip, int epochs) {
        try {
            for (int epoch = startEpoch; epoch < startEpoch + epochs && !closed; epoch++) {
                List<String> order = new ArrayList<>(shardKeys);
                Collections.sort(order); // the announced order may differ between runs; the shuffle must not
                Random random = new Random(seed * 1_000_003L + epoch);
                Collections.shuffle(order, random);
                long consumed = 0;
                long toSkip = epoch == startEpoch ? skip : 0;
                List<Decoded> carry = new ArrayList<>();
                for (int w = 0; w < order.size() && !closed; ) {
                    List<Decoded> window = new ArrayList<>(carry);
                    carry.clear();
                    for (int fetched = 0; fetched < WINDOW_SAMPLES && w < order.size(); w += SHARDS_PER_FETCH) {
                        for (List<Decoded> shard : fetchAll(order.subList(w, Math.min(order.size(), w + SHARDS_PER_FETCH)))) {
                            window.addAll(shard);
                            fetched += shard.size();
                        }
                    }
                    Collections.shuffle(window, random);
                    int full = window.size() / batchSize * batchSize;
                    boolean lastWindow = w >= order.size();
                    for (int i = 0; i < full; i += batchSize) {
                        List<Decoded> samples = window.subList(i, i + batchSize);
                        consumed += batchSize;
                        if (consumed <= toSkip) {
                            continue; // already trained on before the restart
                        }
                        queue.put(toBatch(samples, epoch, consumed));
                    }
                    if (!lastWindow) {
                        carry.addAll(window.subList(full, window.size()));
                    }
                    // the last window's remainder (< one batch) is dropped: every batch is whole
                }
            }
            queue.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e;
        } catch (Exception e) {
            failure = new IllegalStateException("loading shards failed: " + e.getMessage(), e);
        }
    }

    /** Fetches and decodes shards in parallel (or takes them from the cache), keeping their order. */
    private List<List<Decoded>> fetchAll(List<String> keys) throws Exception {
        List<Future<List<Decoded>>> futures = new ArrayList<>();
        for (String key : keys) {
            futures.add(decoders.submit(() -> {
                List<Decoded> cached = cache.get(key);
                return cached != null ? cached : fetch(key);
            }));
        }
        List<List<Decoded>> shards = new ArrayList<>();
        for (Future<List<Decoded>> f : futures) {
            shards.add(f.get());
        }
        return shards;
    }

    /**
     * A shard's samples, kept when their frames, once decoded, fit the cache (at most a byte a pixel
     * each, at the frame size and at the input size).
     */
    private List<Decoded> fetch(String key) throws IOException {
        try {
            List<Decoded> shard = Shard.read(source.fetch(key)).stream().map(Decoded::new).toList();
            long bytes = (long) shard.size() * (Math.round(encoding.frameWidth()) * Math.round(encoding.frameHeight())
                    + (long) inputWidth * inputHeight);
            long total = cachedBytes.addAndGet(bytes);
            if (total <= cacheBytes) {
                cache.put(key, shard);
            } else {
                cachedBytes.addAndGet(-bytes);
            }
            return shard;
        } catch (Exception e) {
            throw new IOException("shard " + key + ": " + e.getMessage(), e);
        }
    }

    /** Bytes set aside for the decoded frames of shards kept for later epochs. */
    long cachedBytes() {
        return cachedBytes.get();
    }

    private TrainingBatch toBatch(List<Decoded> decoded, int epoch, long consumed) throws Exception {
        List<Future<Drawn>> drawn = new ArrayList<>();
        for (int i = 0; i < decoded.size(); i++) {
            Decoded sample = decoded.get(i);
            boolean cropped = i % TipRefiner.FRAMES_PER_CROP == 0;
            drawn.add(decoders.submit(() -> draw(sample, epoch, cropped)));
        }
        List<BufferedImage> frames = new ArrayList<>();
        List<float[]> labels = new ArrayList<>();
        List<TrainingBatch.Truth> truths = new ArrayList<>();
        List<BufferedImage> crops = new ArrayList<>();
        List<float[]> cropLabels = new ArrayList<>();
        for (Future<Drawn> d : drawn) {
            RandomAugmentation.Result r = d.get().frame();
            frames.add(r.image());
            labels.add(encoding.encode(r.visible(), r.tipX(), r.tipY()));
            truths.add(new TrainingBatch.Truth(r.visible(), r.tipX(), r.tipY()));
            TipRefiner.Drawn crop = d.get().crop();
            if (crop != null) {
                crops.add(crop.image());
                cropLabels.add(refinerEncoding.get().encode(crop.visible(), crop.x(), crop.y()));
            }
        }
        List<DatasetSample> samples = decoded.stream().map(Decoded::sample).toList();
        TrainingBatch.Crops refinerBatch = refinerEncoding.map(e -> new TrainingBatch.Crops(
                FrameTensor.batch(crops, crops.get(0).getHeight(), crops.get(0).getWidth()),
                FrameTensor.labels(cropLabels, e))).orElse(null);
        return new TrainingBatch(FrameTensor.batch(frames, inputHeight, inputWidth), FrameTensor.labels(labels, encoding),
                List.copyOf(samples), List.copyOf(truths), epoch, consumed, refinerBatch);
    }

    /**
     * A sample whose frame is decoded the first time it is drawn (the PNG is let go then), and
     * scaled to the network's input once: redone every epoch from the same frame, the area-mean
     * shrink cost more than the sample's augmentation (0.57-0.87 against 0.23-0.29 ms; BENCHMARKS.md, "The main job").
     */
    private static final class Decoded {
        private DatasetSample sample;
        private BufferedImage frame;
        private BufferedImage input;

        Decoded(DatasetSample sample) {
            this.sample = sample;
        }

        synchronized DatasetSample sample() {
            return sample;
        }

        synchronized BufferedImage frame() throws IOException {
            if (frame == null) {
                frame = PngFrameCodec.decodeSample(sample);
                sample = sample.toBuilder().clearPng().build();
            }
            return frame;
        }

        /** The frame at the network's input size, if it was drawn already. */
        synchronized Optional<BufferedImage> ifDrawn() {
            return Optional.ofNullable(input);
        }

        /** The frame at the network's input size (every loader asks for one size). */
        synchronized BufferedImage input(int width, int height) throws IOException {
            if (input == null) {
                input = FrameResize.to(frame(), width, height);
            }
            return input;
        }
    }

    /** One sample as drawn: the frame at the network's input, and the refining stage's crop (null when none). */
    private record Drawn(RandomAugmentation.Result frame, TipRefiner.Drawn crop) {
    }

    /**
     * The sample as the network sees it this epoch: decoded (once, if its shard is kept), scaled to the input size (before the
     * augmentation, which then costs what it costs at that size) and randomly augmented when
     * configured, with a random seeded by (run seed, epoch, sample), so a resumed run draws the same;
     * with a refining stage and when {@code cropped}, also its crop of the decoded sample, from a random of its own seed.
     */
    private Drawn draw(Decoded drawn, int epoch, boolean cropped) throws IOException {
        DatasetSample sample = drawn.sample();
        BufferedImage decoded = drawn.frame();
        BufferedImage image = drawn.input(inputWidth, inputHeight);
        boolean visible = sample.getVisible();
        double x = visible ? sample.getTip().getX() : -1;
        double y = visible ? sample.getTip().getY() : -1;
        String id = id(sample);
        long drawSeed = seed * 0x9E3779B97F4A7C15L ^ (epoch + 1L) * 0xC2B2AE3D27D4EB4FL ^ id.hashCode();
        TipRefiner.Drawn crop = refinerEncoding.filter(e -> cropped).map(e -> TipRefiner.draw(decoded, visible, x, y,
                (int) Math.round(encoding.frameWidth()), (int) Math.round(encoding.frameHeight()),
                (int) Math.round(e.frameWidth()), confusers.getOrDefault(id, List.of()), augmentation,
                new Random(drawSeed ^ 0x5DEECE66DL))).orElse(null);
        if (augmentation.isEmpty()) {
            return new Drawn(new RandomAugmentation.Result(image, visible, x, y), crop);
        }
        Random random = new Random(drawSeed);
        return new Drawn(augmentation.get().apply(image, visible, x, y, encoding.frameWidth(), encoding.frameHeight(),
                random), crop);
    }

    /** A sample's identity in a run: its draws are seeded by it, its confusers kept by it. */
    private static String id(DatasetSample sample) {
        return sample.getCaptureId() + "/" + sample.getFrameName() + "/" + sample.getAugmentation();
    }

    @Override
    public void close() {
        closed = true;
        producer.interrupt();
        decoders.shutdownNow();
    }
}
