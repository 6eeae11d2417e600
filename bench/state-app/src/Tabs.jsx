import { useState } from 'react';
import Tab from './Tab.jsx';

// Tabs imports Tab, and Tab imports Tabs' names: an import cycle.
export const tabNames = ['a', 'b'];

export default function Tabs() {
  const [active, setActive] = useState(0);
  return (
    <section className="tabs">
      <button className="tabs-next" onClick={() => setActive(active + 1)}>{active}</button>
      {tabNames.map((name) => <Tab key={name} name={name} />)}
    </section>
  );
}
