import Counter from './Counter.mtm';
import Greeting from './Greeting.jsx';

export default function App() {
  return (
    <>
      <header>
        <h1>Metamon showcase</h1>
        <p>Edit the components under examples/showcase/src: the page updates and keeps its state.</p>
      </header>
      <main>
        <Counter />
        <Greeting />
      </main>
    </>
  );
}
