// A plain React component (.jsx). Native files import the adapters themselves.
import { useState } from 'react';
import { useMetamonSignal } from 'metamon/react';
import { initialUserCount } from '../../seed.js';

export default function Greeting() {
  const [name, setName] = useState('world');
  const [userCount] = useMetamonSignal('userCount', initialUserCount);
  return (
    <section className="card" data-framework="react" data-testid="native-react">
      <div className="card-head">
        <h2>Greeting</h2>
        <span className="badge">React · .jsx</span>
      </div>
      <p className="greeting" data-testid="native-greeting">
        Hello, <b>{name || 'stranger'}</b>! You are one of {userCount} people online.
      </p>
      <input className="input" data-testid="native-name" value={name} onChange={(e) => setName(e.target.value)} />
    </section>
  );
}
