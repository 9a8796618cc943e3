Console.WriteLine("rawgan: CLI not merged yet");
return 0;
