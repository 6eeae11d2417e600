// A plain Solid component: it is under a `solid/` folder, so Metamon compiles it as Solid JSX.
import { createSignal, onCleanup } from 'solid-js';

export default function Stopwatch() {
  const [elapsed, setElapsed] = createSignal(0);
  const [running, setRunning] = createSignal(false);
  let timer = null;
  const stop = () => {
    clearInterval(timer);
    timer = null;
    setRunning(false);
  };
  const start = () => {
    const from = Date.now() - elapsed();
    timer = setInterval(() => setElapsed(Date.now() - from), 50);
    setRunning(true);
  };
  onCleanup(stop);
  const format = (ms) => `${Math.floor(ms / 60000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}.${String(Math.floor(ms / 10) % 100).padStart(2, '0')}`;
  return (
    <section class="card" data-framework="solid" data-testid="native-solid">
      <div class="card-head">
        <h2>Stopwatch</h2>
        <span class="badge">Solid · .jsx</span>
      </div>
      <div class="stat">
        <span class="value" data-testid="native-stopwatch">{format(elapsed())}</span>
      </div>
      <div class="row">
        <button class="btn" data-testid="native-start" onClick={() => (running() ? stop() : start())}>{running() ? 'Pause' : 'Start'}</button>
        <button class="btn ghost" onClick={() => { stop(); setElapsed(0); }}>Reset</button>
      </div>
    </section>
  );
}
