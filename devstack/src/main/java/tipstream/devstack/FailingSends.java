package tipstream.devstack;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;

/** Fault injection for tests of what a service does when Kafka does not take a record. */
public final class FailingSends {
    private FailingSends() {
    }

    /**
     * The real producer, except that its first send to {@code topic} fails as it does when the
     * broker cannot be reached (a {@link TimeoutException} from the returned future).
     */
    @SuppressWarnings("unchecked")
    public static <K, V> Producer<K, V> firstSendTo(String topic, Producer<K, V> real) {
        AtomicBoolean failed = new AtomicBoolean();
        return (Producer<K, V>) Proxy.newProxyInstance(Producer.class.getClassLoader(), new Class<?>[] {Producer.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("send") && ((ProducerRecord<?, ?>) args[0]).topic().equals(topic)
                            && failed.compareAndSet(false, true)) {
                        return CompletableFuture.failedFuture(new TimeoutException("broker not available"));
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /**
     * The real transactional producer, except that its first {@code commitTransaction} fails as it
     * does when the broker cannot be reached, leaving the transaction open: the process that called
     * it dies there.
     */
    @SuppressWarnings("unchecked")
    public static <K, V> Producer<K, V> firstCommit(Producer<K, V> real) {
        AtomicBoolean failed = new AtomicBoolean();
        return (Producer<K, V>) Proxy.newProxyInstance(Producer.class.getClassLoader(), new Class<?>[] {Producer.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commitTransaction") && failed.compareAndSet(false, true)) {
                        throw new TimeoutException("broker not available");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
