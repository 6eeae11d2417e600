import { useState } from 'react';

export default function Greeting() {
  const [name, setName] = useState('world');
  return (
    <section className="card">
      <span className="tag">React · native .jsx</span>
      <h2>Hello, {name}!</h2>
      <input value={name} onChange={(event) => setName(event.target.value)} />
    </section>
  );
}
